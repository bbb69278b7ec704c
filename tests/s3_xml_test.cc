// S3's XML (storage/s3/s3_xml.h): ListObjectsV2 answers as AWS and RADOS
// Gateway write them, url-encoded keys, pagination, every kind of broken
// body, DeleteObjects bodies and results, error bodies.
//
// The AWS bodies follow the examples of the Amazon S3 API Reference
// (ListObjectsV2, DeleteObjects, "Error responses"); the RADOS Gateway
// ones follow the element order of Ceph's rgw_rest_s3.cc
// (RGWListBucket_ObjStore_S3v2::send_response: EncodingType first, then
// Name, Prefix, MaxKeys, Delimiter, IsTruncated, CommonPrefixes, Contents
// with a Type, and ContinuationToken, NextContinuationToken, KeyCount last).
// The expected times are the bodies' own, converted independently of
// util/rfc3339 (Python's calendar.timegm).
#include "storage/s3/s3_xml.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include <string>
#include <vector>

namespace regsweep::storage::s3 {
namespace {

constexpr int64_t kSecond = 1000000000LL;

// Example 1 of the ListObjectsV2 API reference, in its shape: a namespace,
// an empty <Prefix/>, KeyCount, quoted ETags.
constexpr char kAwsListing[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>2</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>ExampleObject.txt</Key>
        <LastModified>2013-09-17T18:07:53.000Z</LastModified>
        <ETag>"599bab3ed2c697f1d26842727561fd94"</ETag>
        <Size>857</Size>
        <StorageClass>REDUCED_REDUNDANCY</StorageClass>
    </Contents>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
        <Owner>
            <ID>8a6925ce4a7f21c32aa379004fef</ID>
            <DisplayName>string</DisplayName>
        </Owner>
    </Contents>
</ListBucketResult>
)";

TEST(S3XmlTest, ParsesAnAwsListing) {
  ListObjectsResult result;
  ASSERT_TRUE(ParseListObjectsV2(kAwsListing, &result).ok());
  ASSERT_EQ(result.objects.size(), 2u);
  EXPECT_EQ(result.objects[0].key, "ExampleObject.txt");
  EXPECT_EQ(result.objects[0].size, 857u);
  EXPECT_EQ(result.objects[0].last_modified_ns, 1379441273 * kSecond);
  EXPECT_EQ(result.objects[0].etag, "599bab3ed2c697f1d26842727561fd94");
  EXPECT_EQ(result.objects[1].key, "my-image.jpg");
  EXPECT_EQ(result.objects[1].size, 434234u);
  // S3's LastModified has milliseconds: util/rfc3339 takes them.
  EXPECT_EQ(result.objects[1].last_modified_ns, 1255369830 * kSecond);
  EXPECT_EQ(result.objects[1].etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_TRUE(result.common_prefixes.empty());
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.next_continuation_token, "");
  EXPECT_EQ(result.key_count, 2u);
}

// Example 4 of the API reference: a page that says more follow.
TEST(S3XmlTest, ATruncatedPageGivesItsTokenVerbatim) {
  constexpr char kPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix></Prefix>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <KeyCount>1000</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>happyface.jpg</Key>
    <LastModified>2014-11-21T19:40:05.000Z</LastModified>
    <ETag>&quot;70ee1738b6b21e2c8a43f3a5ab0eee71&quot;</ETag>
    <Size>11</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>)";
  ListObjectsResult result;
  ASSERT_TRUE(ParseListObjectsV2(kPage, &result).ok());
  EXPECT_TRUE(result.truncated);
  // Opaque: not percent-decoded, '+' and '=' and '/' as sent.
  EXPECT_EQ(result.next_continuation_token,
            "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(result.key_count, 1000u);
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_EQ(result.objects[0].last_modified_ns, 1416598805 * kSecond);
}

// Example 3 of the API reference: a delimited listing, and StartAfter.
TEST(S3XmlTest, CommonPrefixesAndStartAfter) {
  constexpr char kPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>example-bucket</Name>
  <Prefix>photos/2006/</Prefix>
  <StartAfter>photos/2006/A</StartAfter>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>photos/2006/</Key>
    <LastModified>2016-04-30T23:51:29.000Z</LastModified>
    <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <CommonPrefixes>
    <Prefix>photos/2006/February/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes>
    <Prefix>photos/2006/January/</Prefix>
  </CommonPrefixes>
</ListBucketResult>)";
  ListObjectsResult result;
  ASSERT_TRUE(ParseListObjectsV2(kPage, &result).ok());
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_EQ(result.objects[0].key, "photos/2006/");
  EXPECT_EQ(result.objects[0].size, 0u);
  EXPECT_EQ(result.common_prefixes,
            (std::vector<std::string>{"photos/2006/February/",
                                      "photos/2006/January/"}));
  EXPECT_EQ(result.start_after, "photos/2006/A");
  EXPECT_EQ(result.key_count, 3u);
}

// RADOS Gateway's order and extras: EncodingType first, a Type per
// object, KeyCount after everything, a url-encoded Delimiter, and (in some
// releases) a KeyCount inside each CommonPrefixes.
constexpr char kRgwListing[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType><Name>registry</Name><Prefix>docker/registry/v2/repositories/</Prefix><MaxKeys>2</MaxKeys><Delimiter>%2F</Delimiter><IsTruncated>true</IsTruncated><CommonPrefixes><Prefix>docker/registry/v2/repositories/library/</Prefix><KeyCount>1</KeyCount></CommonPrefixes><CommonPrefixes><Prefix>docker/registry/v2/repositories/my%20team/</Prefix><KeyCount>1</KeyCount></CommonPrefixes><Contents><Key>docker/registry/v2/repositories/a%2Bb%20c</Key><LastModified>2023-06-01T10:11:12.345Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>71</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents><NextContinuationToken>docker/registry/v2/repositories/my team/</NextContinuationToken><KeyCount>3</KeyCount></ListBucketResult>)";

TEST(S3XmlTest, ParsesARadosGatewayListing) {
  ListObjectsResult result;
  ASSERT_TRUE(ParseListObjectsV2(kRgwListing, &result).ok());
  EXPECT_EQ(
      result.common_prefixes,
      (std::vector<std::string>{"docker/registry/v2/repositories/library/",
                                "docker/registry/v2/repositories/my team/"}));
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_EQ(result.objects[0].key, "docker/registry/v2/repositories/a+b c");
  EXPECT_EQ(result.objects[0].size, 71u);
  EXPECT_EQ(result.objects[0].last_modified_ns,
            1685614272 * kSecond + 345000000);
  EXPECT_EQ(result.objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_TRUE(result.truncated);
  // RADOS Gateway's token is a raw key; it goes back exactly as it came.
  EXPECT_EQ(result.next_continuation_token,
            "docker/registry/v2/repositories/my team/");
  EXPECT_EQ(result.key_count, 3u);
}

// A listing of one object whose key is `encoded`, url-encoded or not.
std::string OneKey(const std::string& encoded, bool url_encoded = true) {
  return std::string("<ListBucketResult>") +
         (url_encoded ? "<EncodingType>url</EncodingType>" : "") +
         "<IsTruncated>false</IsTruncated><Contents><Key>" + encoded +
         "</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
         "<Size>1</Size></Contents></ListBucketResult>";
}

std::string KeyOf(const std::string& body) {
  ListObjectsResult result;
  const Status s = ParseListObjectsV2(body, &result);
  if (!s.ok()) return "error: " + s.ToString();
  return result.objects.size() == 1 ? result.objects[0].key : "not one key";
}

// AWS writes a space as '+' and a '+' as "%2B"; RADOS Gateway a space as
// "%20". "%2F" is a slash, other bytes %XX, hex in either case.
TEST(S3XmlTest, UrlEncodedKeysAreDecoded) {
  EXPECT_EQ(KeyOf(OneKey("a+b")), "a b");
  EXPECT_EQ(KeyOf(OneKey("a%20b")), "a b");
  EXPECT_EQ(KeyOf(OneKey("a%2Bb")), "a+b");
  EXPECT_EQ(KeyOf(OneKey("a%2Fb/c")), "a/b/c");
  EXPECT_EQ(KeyOf(OneKey("100%25.csv")), "100%.csv");
  EXPECT_EQ(KeyOf(OneKey("%ED%95%9C%EA%B8%80/x.txt")),
            "\xED\x95\x9C\xEA\xB8\x80/x.txt");
  EXPECT_EQ(KeyOf(OneKey("caf%c3%a9")), "caf\xC3\xA9");
  // Bytes XML 1.0 cannot carry arrive this way only.
  EXPECT_EQ(KeyOf(OneKey("a%01b%0D%0A")), std::string("a\x01"
                                                      "b\r\n"));
  EXPECT_EQ(KeyOf(OneKey("nul%00")), std::string("nul\0", 4));
  // Entities are XML's, decoded before the percent escapes.
  EXPECT_EQ(KeyOf(OneKey("a%26b&amp;c")), "a&b&c");
}

TEST(S3XmlTest, KeysWithoutEncodingTypeAreTakenAsIs) {
  EXPECT_EQ(KeyOf(OneKey("a+b%20c", false)), "a+b%20c");
  EXPECT_EQ(KeyOf(OneKey("x &amp; &lt;y&gt; &quot;z&quot; &apos;", false)),
            "x & <y> \"z\" '");
  EXPECT_EQ(KeyOf(OneKey(" padded ", false)), " padded ");
}

TEST(S3XmlTest, AnEmptyBucketIsAnEmptyListing) {
  ListObjectsResult result;
  result.objects.push_back({"stale", 1, 1, ""});
  ASSERT_TRUE(ParseListObjectsV2(
                  "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/"
                  "2006-03-01/\"><Name>b</Name><Prefix>none/</Prefix>"
                  "<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
                  "<IsTruncated>false</IsTruncated></ListBucketResult>",
                  &result)
                  .ok());
  EXPECT_TRUE(result.objects.empty());
  EXPECT_TRUE(result.common_prefixes.empty());
  EXPECT_EQ(result.key_count, 0u);
}

// What `body` gives: "" when it parses, else the message.
std::string ListingError(const std::string& body) {
  ListObjectsResult result;
  const Status s = ParseListObjectsV2(body, &result);
  if (s.ok()) return "";
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  return s.message();
}

// The `n`th object of a listing is `contents`.
std::string WithObject(const std::string& contents) {
  return "<ListBucketResult><EncodingType>url</EncodingType>"
         "<IsTruncated>false</IsTruncated><Contents><Key>ok</Key>"
         "<LastModified>2009-10-12T17:50:30.000Z</LastModified><Size>1</Size>"
         "</Contents><Contents>" +
         contents + "</Contents></ListBucketResult>";
}

void ExpectError(const std::string& body, const std::string& part) {
  const std::string message = ListingError(body);
  EXPECT_NE(message.find("ListObjectsV2 response"), std::string::npos) << body;
  EXPECT_NE(message.find(part), std::string::npos)
      << "'" << message << "' does not say '" << part << "'";
}

TEST(S3XmlTest, WhatIsNotXmlIsCorruption) {
  ExpectError("", "not XML");
  ExpectError("   \n", "not XML");
  ExpectError("Bad Gateway", "not XML");
  ExpectError("<!DOCTYPE html><html><head><meta charset=utf-8></head></html>",
              "not XML");
  ExpectError("<ListBucketResult><IsTruncated>false</IsTruncated>", "not XML");
  ExpectError(
      "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"
      "<ListBucketResult/>",
      "2 root elements");
}

// A body cut anywhere before its end is never taken for a shorter listing.
TEST(S3XmlTest, ABodyCutShortIsCorruptionWhereverItIsCut) {
  const std::string body = kAwsListing;
  const size_t end = body.rfind('>') + 1;
  for (size_t n = 0; n < end; ++n) {
    EXPECT_NE(ListingError(body.substr(0, n)), "") << "cut at " << n;
  }
  EXPECT_EQ(ListingError(body.substr(0, end)), "");
}

TEST(S3XmlTest, AnotherRootIsCorruption) {
  ExpectError("<ListAllMyBucketsResult/>", "<ListAllMyBucketsResult>");
  ExpectError("<html><body><h1>502 Bad Gateway</h1></body></html>", "<html>");
  // A 200 with an error body (S3 does that for some failures): named.
  ExpectError(
      "<Error><Code>InternalError</Code><Message>We encountered an internal "
      "error. Please try again.</Message></Error>",
      "InternalError");
}

TEST(S3XmlTest, BadPagingIsCorruption) {
  ExpectError("<ListBucketResult></ListBucketResult>", "IsTruncated");
  ExpectError(
      "<ListBucketResult><IsTruncated>yes</IsTruncated>"
      "</ListBucketResult>",
      "IsTruncated");
  ExpectError(
      "<ListBucketResult><IsTruncated>true</IsTruncated>"
      "</ListBucketResult>",
      "NextContinuationToken");
  ExpectError(
      "<ListBucketResult><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken></NextContinuationToken>"
      "</ListBucketResult>",
      "NextContinuationToken");
  ExpectError(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<KeyCount>many</KeyCount></ListBucketResult>",
      "KeyCount");
}

TEST(S3XmlTest, BadObjectsAreCorruption) {
  ExpectError(WithObject("<LastModified>2009-10-12T17:50:30.000Z"
                         "</LastModified><Size>1</Size>"),
              "object 2 has no Key");
  ExpectError(WithObject("<Key></Key><LastModified>2009-10-12T17:50:30.000Z"
                         "</LastModified><Size>1</Size>"),
              "no Key");
  for (const char* size :
       {"", "-1", "1.5", "12 MB", "0x10", "18446744073709551616"}) {
    ExpectError(WithObject(std::string("<Key>k</Key><LastModified>"
                                       "2009-10-12T17:50:30.000Z</LastModified>"
                                       "<Size>") +
                           size + "</Size>"),
                "Size");
  }
  ExpectError(WithObject("<Key>k</Key><LastModified>2009-10-12T17:50:30.000Z"
                         "</LastModified>"),
              "Size");
  for (const char* time :
       {"", "yesterday", "2009-10-12", "2009-10-12 17:50",
        "Mon, 12 Oct 2009 17:50:30 GMT", "2009-10-12T17:50:30"}) {
    ExpectError(WithObject(std::string("<Key>k</Key><LastModified>") + time +
                           "</LastModified><Size>1</Size>"),
                "LastModified");
  }
  ExpectError(WithObject("<Key>k</Key><Size>1</Size>"), "LastModified");
}

TEST(S3XmlTest, BadPercentEscapesAreCorruption) {
  for (const char* key : {"a%", "a%2", "a%zz", "a%2g", "%%41"}) {
    ExpectError(OneKey(key), "bad percent escape");
  }
  ExpectError(
      "<ListBucketResult><EncodingType>url</EncodingType>"
      "<IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>a%G0/"
      "</Prefix></CommonPrefixes></ListBucketResult>",
      "bad percent escape");
  ExpectError(
      "<ListBucketResult><EncodingType>url</EncodingType>"
      "<IsTruncated>false</IsTruncated><StartAfter>%</StartAfter>"
      "</ListBucketResult>",
      "StartAfter");
  ExpectError(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<CommonPrefixes></CommonPrefixes></ListBucketResult>",
      "no Prefix");
}

// ---------------------------------------------------------------------------
// DeleteObjects.
// ---------------------------------------------------------------------------

// The keys of a DeleteObjects body, as an XML parser reads them.
std::vector<std::string> KeysOf(const std::string& body, bool* quiet_false) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_buffer(body.data(), body.size(),
                              pugi::parse_default | pugi::parse_ws_pcdata))
      << body;
  const pugi::xml_node root = doc.child("Delete");
  *quiet_false = std::string(root.child_value("Quiet")) == "false";
  std::vector<std::string> keys;
  for (pugi::xml_node object : root.children("Object")) {
    keys.push_back(object.child_value("Key"));
  }
  return keys;
}

TEST(S3XmlTest, DeleteObjectsBodyRoundTripsEveryXmlSpecialCharacter) {
  const std::vector<std::string> keys = {
      "docker/registry/v2/blobs/sha256/ab/abcd/data",
      "a&b",
      "<tag>",
      "say \"hi\"",
      "it's",
      "&amp; stays &amp;",
      "]]>",
      "tab\there",
      "cr\rlf\n",
      "crlf\r\n",
      " leading and trailing ",
      "caf\xC3\xA9 \xE2\x82\xAC"};
  const std::string body = DeleteObjectsBody(keys);
  bool quiet_false = false;
  EXPECT_EQ(KeysOf(body, &quiet_false), keys);
  EXPECT_TRUE(quiet_false);
  EXPECT_EQ(body.find("<Key>a&b</Key>"), std::string::npos);
  EXPECT_NE(body.find("<Key>a&amp;b</Key>"), std::string::npos);
  EXPECT_NE(body.find("<Key>&lt;tag&gt;</Key>"), std::string::npos);
  EXPECT_NE(body.find("<Key>say &quot;hi&quot;</Key>"), std::string::npos);
  EXPECT_NE(body.find("<Key>it&apos;s</Key>"), std::string::npos);
  EXPECT_NE(body.find("<Key>cr&#13;lf&#10;</Key>"), std::string::npos);
  EXPECT_EQ(body.find('\r'), std::string::npos);
}

TEST(S3XmlTest, DeleteObjectsBodyShape) {
  EXPECT_EQ(DeleteObjectsBody({"a", "b/c"}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Quiet>false</Quiet>"
            "<Object><Key>a</Key></Object>"
            "<Object><Key>b/c</Key></Object>"
            "</Delete>");
}

// The DeleteObjects API reference's example result: mixed outcomes.
TEST(S3XmlTest, ParsesADeleteResultWithDeletedAndErrors) {
  constexpr char kResult[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted>
    <Key>sample1.txt</Key>
  </Deleted>
  <Error>
    <Key>sample2.txt</Key>
    <Code>AccessDenied</Code>
    <Message>Access Denied</Message>
  </Error>
  <Deleted>
    <Key>a &amp; b.txt</Key>
    <DeleteMarker>true</DeleteMarker>
    <DeleteMarkerVersionId>NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s</DeleteMarkerVersionId>
  </Deleted>
  <Error>
    <Key>sample3.txt</Key>
    <Code>InternalError</Code>
    <Message>We encountered an internal error. Please try again.</Message>
  </Error>
</DeleteResult>)";
  std::vector<DeleteOutcome> outcomes;
  ASSERT_TRUE(ParseDeleteObjectsResult(kResult, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0].key, "sample1.txt");
  EXPECT_TRUE(outcomes[0].deleted);
  EXPECT_EQ(outcomes[1].key, "sample2.txt");
  EXPECT_FALSE(outcomes[1].deleted);
  EXPECT_EQ(outcomes[1].code, "AccessDenied");
  EXPECT_EQ(outcomes[1].message, "Access Denied");
  EXPECT_EQ(outcomes[2].key, "a & b.txt");
  EXPECT_TRUE(outcomes[2].deleted);
  EXPECT_EQ(outcomes[3].key, "sample3.txt");
  EXPECT_EQ(outcomes[3].code, "InternalError");
}

TEST(S3XmlTest, DeleteResultKeysAreDecodedWhenUrlEncoded) {
  std::vector<DeleteOutcome> outcomes;
  ASSERT_TRUE(ParseDeleteObjectsResult(
                  "<DeleteResult><EncodingType>url</EncodingType>"
                  "<Deleted><Key>a+b%2Bc</Key></Deleted></DeleteResult>",
                  &outcomes)
                  .ok());
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].key, "a b+c");
  ASSERT_TRUE(
      ParseDeleteObjectsResult("<DeleteResult><Deleted><Key>a+b</Key></Deleted>"
                               "</DeleteResult>",
                               &outcomes)
          .ok());
  EXPECT_EQ(outcomes[0].key, "a+b");
  ASSERT_TRUE(ParseDeleteObjectsResult("<DeleteResult/>", &outcomes).ok());
  EXPECT_TRUE(outcomes.empty());
}

TEST(S3XmlTest, BadDeleteResultsAreCorruption) {
  std::vector<DeleteOutcome> outcomes;
  for (const char* body :
       {"", "<html><body>502</body></html>", "<DeleteResult><Deleted>",
        "<Error><Code>SlowDown</Code></Error>",
        "<DeleteResult><Deleted></Deleted></DeleteResult>",
        "<DeleteResult><Error><Code>AccessDenied</Code></Error>"
        "</DeleteResult>",
        "<DeleteResult><EncodingType>url</EncodingType><Deleted><Key>%x"
        "</Key></Deleted></DeleteResult>"}) {
    const Status s = ParseDeleteObjectsResult(body, &outcomes);
    EXPECT_TRUE(s.IsCorruption()) << body;
    EXPECT_NE(s.message().find("DeleteObjects response"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------
// Copies: CopyObject, UploadPartCopy, CreateMultipartUpload and
// CompleteMultipartUpload results (the examples of the API reference).
// ---------------------------------------------------------------------------

constexpr char kCopyResult[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
   <LastModified>2009-10-28T22:32:00.000Z</LastModified>
   <ETag>"9b2cf535f27731c974343645a3985328"</ETag>
</CopyObjectResult>)";

// What S3 writes when a copy fails after its 200 went out: keep-alive
// white space, then an error document.
constexpr char kErrorAfter200[] =
    "\n \n  \n"
    R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error. Please try again.</Message>
  <RequestId>656c76696e6727732072657175657374</RequestId>
  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>)";

// Every parser of a copy's answer, with the root it wants.
struct CopyParser {
  const char* root;
  Status (*parse)(std::string_view, std::string*);
};
constexpr CopyParser kCopyParsers[] = {
    {"CopyObjectResult", ParseCopyObjectResult},
    {"CopyPartResult", ParseCopyPartResult},
    {"InitiateMultipartUploadResult", ParseInitiateMultipartUploadResult},
    {"CompleteMultipartUploadResult", ParseCompleteMultipartUploadResult},
};

TEST(S3XmlTest, ParsesACopyObjectResult) {
  std::string etag;
  ASSERT_TRUE(ParseCopyObjectResult(kCopyResult, &etag).ok());
  // Verbatim, quotes and all.
  EXPECT_EQ(etag, "\"9b2cf535f27731c974343645a3985328\"");
  // After keep-alive white space, and with the quotes as entities.
  ASSERT_TRUE(ParseCopyObjectResult(
                  "   \n\n<CopyObjectResult><ETag>&quot;abc&quot;</ETag>"
                  "</CopyObjectResult>",
                  &etag)
                  .ok());
  EXPECT_EQ(etag, "\"abc\"");
}

TEST(S3XmlTest, AnErrorInA200IsNoSuccess) {
  for (const CopyParser& parser : kCopyParsers) {
    std::string value = "stale";
    Status s = parser.parse(kErrorAfter200, &value);
    EXPECT_TRUE(s.IsCorruption()) << parser.root;
    // The message names S3's code and message, for the operator.
    EXPECT_NE(s.message().find("InternalError"), std::string::npos)
        << s.ToString();
    EXPECT_NE(s.message().find("We encountered an internal error"),
              std::string::npos)
        << s.ToString();
    EXPECT_EQ(value, "") << parser.root;
  }
}

TEST(S3XmlTest, ACopyResultCutShortIsNoSuccessWhereverItIsCut) {
  const std::string body = kCopyResult;
  std::string etag;
  // The last cut keeps all but the final '>'.
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(ParseCopyObjectResult(body.substr(0, n), &etag).ok()) << n;
  }
  // Keep-alive white space and nothing after it: the copy never finished.
  EXPECT_TRUE(ParseCopyObjectResult("  \n  \n", &etag).IsCorruption());
}

TEST(S3XmlTest, AnotherDocumentOrNoEtagIsNoSuccess) {
  std::string value;
  for (const CopyParser& parser : kCopyParsers) {
    for (const CopyParser& other : kCopyParsers) {
      if (&other == &parser) continue;
      const std::string body = std::string("<") + other.root +
                               "><ETag>\"e\"</ETag><UploadId>u</UploadId></" +
                               other.root + ">";
      EXPECT_TRUE(parser.parse(body, &value).IsCorruption())
          << parser.root << " took " << other.root;
    }
    // The right root without its value (a completion needs none).
    if (parser.parse == ParseCompleteMultipartUploadResult) continue;
    const std::string empty = std::string("<") + parser.root +
                              "><LastModified>2009-10-28T22:32:00.000Z"
                              "</LastModified><ETag> </ETag></" +
                              parser.root + ">";
    Status s = parser.parse(empty, &value);
    EXPECT_TRUE(s.IsCorruption()) << parser.root;
    EXPECT_NE(s.message().find("has no"), std::string::npos) << s.ToString();
  }
  EXPECT_TRUE(ParseCopyObjectResult("<ListBucketResult><IsTruncated>false"
                                    "</IsTruncated></ListBucketResult>",
                                    &value)
                  .IsCorruption());
  EXPECT_TRUE(ParseCopyObjectResult("<html><body>OK</body></html>", &value)
                  .IsCorruption());
}

TEST(S3XmlTest, ParsesMultipartCopyResults) {
  std::string value;
  ASSERT_TRUE(ParseInitiateMultipartUploadResult(
                  R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)",
                  &value)
                  .ok());
  EXPECT_EQ(value,
            "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");

  ASSERT_TRUE(ParseCopyPartResult(R"(<?xml version="1.0" encoding="UTF-8"?>
<CopyPartResult>
   <LastModified>2009-10-28T22:32:00.000Z</LastModified>
   <ETag>"b0c6f0e7e054ab8fa2536a2677f8734d"</ETag>
</CopyPartResult>)",
                                  &value)
                  .ok());
  EXPECT_EQ(value, "\"b0c6f0e7e054ab8fa2536a2677f8734d\"");

  // Completion keeps the connection alive with white space too.
  ASSERT_TRUE(ParseCompleteMultipartUploadResult(
                  "\n\n\n"
                  R"(<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.Region.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>)",
                  &value)
                  .ok());
  EXPECT_EQ(value, "\"3858f62230ac3c915f300c664312c11f-9\"");

  // RADOS Gateway 16.2's answer to a first completion: an empty ETag (a
  // repeated completion gives it). Done all the same.
  ASSERT_TRUE(ParseCompleteMultipartUploadResult(
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                  "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws"
                  ".com/doc/2006-03-01/\"><Location>http://127.0.0.1:54934/"
                  "regsweep-test/check/y/big</Location><Bucket>regsweep-test"
                  "</Bucket><Key>check/y/big</Key><ETag></ETag>"
                  "</CompleteMultipartUploadResult>",
                  &value)
                  .ok());
  EXPECT_EQ(value, "");
  // Its part results' ETags come without quotes.
  ASSERT_TRUE(ParseCopyPartResult(
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CopyPartResult "
                  "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                  "<LastModified>2026-12-07T20:50:51.000Z</LastModified>"
                  "<ETag>212433ed75c8dd3cbc82f8fc0821485a</ETag>"
                  "</CopyPartResult>",
                  &value)
                  .ok());
  EXPECT_EQ(value, "212433ed75c8dd3cbc82f8fc0821485a");
}

TEST(S3XmlTest, CompleteMultipartUploadBodyListsThePartsInOrder) {
  const std::string body =
      CompleteMultipartUploadBody({"\"aa\"", "\"bb\"", "\"cc\""});
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(body.c_str()));
  const pugi::xml_node root = doc.document_element();
  EXPECT_STREQ(root.name(), "CompleteMultipartUpload");
  EXPECT_STREQ(root.attribute("xmlns").value(),
               "http://s3.amazonaws.com/doc/2006-03-01/");
  std::vector<std::pair<std::string, std::string>> parts;
  for (pugi::xml_node part : root.children("Part")) {
    parts.emplace_back(part.child_value("PartNumber"),
                       part.child_value("ETag"));
  }
  EXPECT_EQ(parts, (std::vector<std::pair<std::string, std::string>>{
                       {"1", "\"aa\""}, {"2", "\"bb\""}, {"3", "\"cc\""}}));
}

// ---------------------------------------------------------------------------
// Error bodies.
// ---------------------------------------------------------------------------

// The "Error responses" page of the API reference.
TEST(S3XmlTest, ParsesErrorBodies) {
  S3Error error;
  ASSERT_TRUE(ParseS3Error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)",
                           &error));
  EXPECT_EQ(error.code, "NoSuchKey");
  EXPECT_EQ(error.message, "The resource you requested does not exist");
  EXPECT_EQ(error.resource, "/mybucket/myfoto.jpg");
  EXPECT_EQ(error.request_id, "4442587FB7D0A2F9");

  ASSERT_TRUE(ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown"
      "</Code><Message>Please reduce your request rate.</Message><RequestId>"
      "KM2M0W9ABC</RequestId><HostId>pZ3vB0m1Ix0XkA==</HostId></Error>",
      &error));
  EXPECT_EQ(error.code, "SlowDown");
  EXPECT_EQ(error.message, "Please reduce your request rate.");
  EXPECT_EQ(error.resource, "");

  // RADOS Gateway's shape: BucketName and HostId, no Message.
  ASSERT_TRUE(ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied"
      "</Code><BucketName>registry</BucketName><RequestId>tx0000012-0064"
      "</RequestId><HostId>1234-default-default</HostId></Error>",
      &error));
  EXPECT_EQ(error.code, "AccessDenied");
  EXPECT_EQ(error.message, "");
  EXPECT_EQ(error.request_id, "tx0000012-0064");
}

TEST(S3XmlTest, WhatIsNotAnErrorBodyIsNone) {
  S3Error error;
  for (const char* body :
       {"", "\n", "Service Unavailable",
        "<html><head><title>503 Service Temporarily Unavailable</title>"
        "</head><body><center><h1>503</h1></center></body></html>",
        "<!DOCTYPE html><html><body>Bad Gateway<br></body></html>",
        "<Error><Code>SlowDown</Code><Message>Please reduce",
        "<Error><Message>no code</Message></Error>", "<Error><Code/></Error>",
        "<ListBucketResult><IsTruncated>false</IsTruncated>"
        "</ListBucketResult>"}) {
    EXPECT_FALSE(ParseS3Error(body, &error)) << body;
  }
}

}  // namespace
}  // namespace regsweep::storage::s3
