// SigV4 signing (storage/s3/sigv4.h) against AWS's published vectors. Every
// expected canonical request, string to sign and signature below is AWS's,
// copied from where it was published; none was produced by this signer.
//
// 1. AWS's Signature Version 4 test suite (the aws-sig-v4-test-suite of
//    the AWS General Reference, as AWS now maintains it in
//    github.com/awslabs/aws-c-auth, tests/aws-signing-test-suite/v4/<case>/:
//    header-canonical-request.txt, header-string-to-sign.txt,
//    header-signature.txt, context.json). Credentials AKIDEXAMPLE /
//    wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service
//    "service", 2015-08-30T12:36:00Z. Of the path cases only the
//    "-unnormalized" ones apply: S3 forbids normalizing the path.
// 2. The S3 examples of "Signature Calculations for the Authorization
//    Header: Transferring Payload in a Single Chunk (AWS Signature Version
//    4)", Amazon S3 API Reference,
//    https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
//    (credentials AKIAIOSFODNN7EXAMPLE /
//    wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, bucket examplebucket,
//    20130524T000000Z): GET Object, PUT Object, GET Bucket Lifecycle, GET
//    Bucket (List Objects).
#include "storage/s3/sigv4.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace regsweep::storage::s3 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// SHA-256 of the empty string, as both sources print it.
constexpr char kEmptySha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---------------------------------------------------------------------------
// 1. The test suite.
// ---------------------------------------------------------------------------

// 2015-08-30T12:36:00Z (context.json "timestamp"); AmzDate is checked to
// give the suite's "20150830T123600Z" for it.
constexpr int64_t kSuiteTime = 1440938160;
constexpr char kSuiteAccessKey[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteScope[] = "20150830/us-east-1/service/aws4_request";
constexpr char kSuiteHost[] = "example.amazonaws.com";

// get-vanilla-with-session-token/context.json.
constexpr char kSuiteToken[] =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
// post-sts-header-before/context.json.
constexpr char kStsToken[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTw"
    "dQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi"
    "/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5V"
    "SXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPk"
    "UL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabI"
    "Qwj2ICCR/oLxBA==";

// -._~, digits and letters: the unreserved characters (get-unreserved).
constexpr char kUnreserved[] =
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

struct SuiteVector {
  const char* canonical_request;
  const char* string_to_sign;
  const char* signature;
};

// The published files of each case, verbatim (header-*.txt).
// get-vanilla
const SuiteVector kGetVanilla = {
    "GET\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"};

// get-vanilla-query-order-key-case
const SuiteVector kGetVanillaQueryOrderKeyCase = {
    "GET\n"
    "/\n"
    "Param1=value1&Param2=value2\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"};

// get-vanilla-query-order-encoded
const SuiteVector kGetVanillaQueryOrderEncoded = {
    "GET\n"
    "/\n"
    "%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
    "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"};

// get-vanilla-query-unreserved
const SuiteVector kGetVanillaQueryUnreserved = {
    "GET\n"
    "/\n"
    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
    "yz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
    "vwxyz\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
    "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"};

// get-vanilla-utf8-query
const SuiteVector kGetVanillaUtf8Query = {
    "GET\n"
    "/\n"
    "%E1%88%B4=bar\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
    "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"};

// get-unreserved
const SuiteVector kGetUnreserved = {
    "GET\n"
    "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
    "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"};

// get-utf8
const SuiteVector kGetUtf8 = {
    "GET\n"
    "/%E1%88%B4\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
    "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"};

// get-space-unnormalized
const SuiteVector kGetSpaceUnnormalized = {
    "GET\n"
    "/example%20space/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
    "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"};

// get-slashes-unnormalized
const SuiteVector kGetSlashesUnnormalized = {
    "GET\n"
    "//example//\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240",
    "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"};

// get-slash-dot-slash-unnormalized
const SuiteVector kGetSlashDotSlashUnnormalized = {
    "GET\n"
    "/./\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7",
    "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145"};

// get-relative-relative-unnormalized
const SuiteVector kGetRelativeRelativeUnnormalized = {
    "GET\n"
    "/example1/example2/../..\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "76115030c0f3ff06c20fdff5ceb6d5e0b835a1743e00b94fea7c7f381269437b",
    "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b"};

// get-header-value-trim
const SuiteVector kGetHeaderValueTrim = {
    "GET\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "my-header1:value1\n"
    "my-header2:\"a b c\"\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;my-header1;my-header2;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
    "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"};

// get-header-key-duplicate
const SuiteVector kGetHeaderKeyDuplicate = {
    "GET\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "my-header1:value2,value2,value1\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;my-header1;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
    "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"};

// get-header-value-order
const SuiteVector kGetHeaderValueOrder = {
    "GET\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "my-header1:value4,value1,value3,value2\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;my-header1;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
    "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"};

// get-header-value-multiline
const SuiteVector kGetHeaderValueMultiline = {
    "GET\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "my-header1:value1 value2 value3\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;my-header1;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8",
    "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"};

// post-vanilla-empty-query-value
const SuiteVector kPostVanillaEmptyQueryValue = {
    "POST\n"
    "/\n"
    "Param1=value1\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
    "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"};

// post-header-key-sort
const SuiteVector kPostHeaderKeySort = {
    "POST\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "my-header1:value1\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;my-header1;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
    "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"};

// post-header-value-case
const SuiteVector kPostHeaderValueCase = {
    "POST\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "my-header1:VALUE1\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;my-header1;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
    "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"};

// post-x-www-form-urlencoded
const SuiteVector kPostXWwwFormUrlencoded = {
    "POST\n"
    "/\n"
    "\n"
    "content-length:13\n"
    "content-type:application/x-www-form-urlencoded\n"
    "host:example.amazonaws.com\n"
    "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192"
    "329106275f4c7b24d0b6e\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
    "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"};

// post-x-www-form-urlencoded-parameters
const SuiteVector kPostXWwwFormUrlencodedParameters = {
    "POST\n"
    "/\n"
    "\n"
    "content-length:13\n"
    "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
    "host:example.amazonaws.com\n"
    "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192"
    "329106275f4c7b24d0b6e\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
    "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"};

// get-vanilla-with-session-token
const SuiteVector kGetVanillaWithSessionToken = {
    "GET\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa"
    "00fa31553b73ebf194267\n"
    "\n"
    "host;x-amz-date;x-amz-security-token\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
    "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"};

// post-sts-header-before
const SuiteVector kPostStsHeaderBefore = {
    "POST\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "x-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPB"
    "SM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8"
    "YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsbur"
    "EDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo"
    "0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9"
    "KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n"
    "\n"
    "host;x-amz-date;x-amz-security-token\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
    "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"};

// The value of header `name` among `headers`, "" when absent.
std::string Header(const Pairs& headers, const std::string& name) {
  for (const auto& [n, value] : headers) {
    if (n == name) return value;
  }
  return "";
}

// The signed-header names a published canonical request lists: its second
// line from the end.
std::string SignedHeadersOf(const std::string& canonical_request) {
  const size_t last = canonical_request.rfind('\n');
  const size_t before = canonical_request.rfind('\n', last - 1);
  return canonical_request.substr(before + 1, last - before - 1);
}

SigningRequest Request(const std::string& method, const std::string& uri,
                       Pairs query, Pairs headers,
                       const std::string& payload = kEmptySha256) {
  SigningRequest request;
  request.method = method;
  request.canonical_uri = uri;
  request.query = std::move(query);
  request.headers = std::move(headers);
  request.payload_sha256 = payload;
  return request;
}

// The request of a case whose request.txt has Host and nothing else.
SigningRequest Plain(const std::string& method, const std::string& uri,
                     Pairs query = {}) {
  return Request(method, uri, std::move(query), {{"Host", kSuiteHost}});
}

// Signs `request` as the case's context.json says, and checks each step
// against the published files: the canonical request, the string to sign,
// the signature, and the Authorization header they make.
void ExpectSuiteCase(const SigningRequest& request, const SuiteVector& expected,
                     const std::string& token = "", bool sign_body = false) {
  const SigningCredentials credentials{kSuiteAccessKey, kSuiteSecret, token};
  const Pairs added = SignV4(request, credentials, "us-east-1", "service",
                             kSuiteTime, sign_body);
  EXPECT_EQ(Header(added, "x-amz-date"), "20150830T123600Z");
  SigningRequest complete = request;
  for (const auto& header : added) {
    if (header.first != "Authorization") complete.headers.push_back(header);
  }
  EXPECT_EQ(CanonicalRequest(complete), expected.canonical_request);
  EXPECT_EQ(StringToSign(expected.canonical_request, "us-east-1", "service",
                         kSuiteTime),
            expected.string_to_sign);
  EXPECT_EQ(Signature(expected.string_to_sign, kSuiteSecret, "us-east-1",
                      "service", kSuiteTime),
            expected.signature);
  EXPECT_EQ(Header(added, "Authorization"),
            std::string("AWS4-HMAC-SHA256 Credential=") + kSuiteAccessKey +
                "/" + kSuiteScope + ", SignedHeaders=" +
                SignedHeadersOf(expected.canonical_request) +
                ", Signature=" + expected.signature);
}

TEST(SigV4SuiteTest, GetVanilla) {
  ExpectSuiteCase(Plain("GET", "/"), kGetVanilla);
}

TEST(SigV4SuiteTest, GetVanillaQueryOrderKeyCase) {
  ExpectSuiteCase(
      Plain("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}),
      kGetVanillaQueryOrderKeyCase);
}

// Sorted by encoded name: "%E1..." before "Param", "Param" before "Param-3".
TEST(SigV4SuiteTest, GetVanillaQueryOrderEncoded) {
  ExpectSuiteCase(Plain("GET", "/",
                        {{"Param-3", "Value3"},
                         {"Param", "Value2"},
                         {"\xE1\x88\xB4", "Value1"}}),
                  kGetVanillaQueryOrderEncoded);
}

TEST(SigV4SuiteTest, GetVanillaQueryUnreserved) {
  ExpectSuiteCase(Plain("GET", "/", {{kUnreserved, kUnreserved}}),
                  kGetVanillaQueryUnreserved);
}

TEST(SigV4SuiteTest, GetVanillaUtf8Query) {
  ExpectSuiteCase(Plain("GET", "/", {{"\xE1\x88\xB4", "bar"}}),
                  kGetVanillaUtf8Query);
}

TEST(SigV4SuiteTest, GetUnreserved) {
  ExpectSuiteCase(
      Plain("GET", UriEncode(std::string("/") + kUnreserved, false)),
      kGetUnreserved);
}

// The path is encoded by the caller, with UriEncode, once.
TEST(SigV4SuiteTest, GetUtf8) {
  ExpectSuiteCase(Plain("GET", UriEncode("/\xE1\x88\xB4", false)), kGetUtf8);
}

TEST(SigV4SuiteTest, GetSpaceUnnormalized) {
  ExpectSuiteCase(Plain("GET", UriEncode("/example space/", false)),
                  kGetSpaceUnnormalized);
}

// S3 semantics: "//", "." and ".." are signed as sent, never normalized.
TEST(SigV4SuiteTest, PathsAreNotNormalized) {
  ExpectSuiteCase(Plain("GET", "//example//"), kGetSlashesUnnormalized);
  ExpectSuiteCase(Plain("GET", "/./"), kGetSlashDotSlashUnnormalized);
  ExpectSuiteCase(Plain("GET", "/example1/example2/../.."),
                  kGetRelativeRelativeUnnormalized);
}

// "My-Header1: value1" and "My-Header2: \"a   b   c\"": trimmed, inner
// runs of spaces made one, inside quotes too.
TEST(SigV4SuiteTest, GetHeaderValueTrim) {
  ExpectSuiteCase(Request("GET", "/", {},
                          {{"Host", kSuiteHost},
                           {"My-Header1", " value1"},
                           {"My-Header2", " \"a   b   c\""}}),
                  kGetHeaderValueTrim);
}

TEST(SigV4SuiteTest, RepeatedHeadersAreJoinedInTheOrderGiven) {
  ExpectSuiteCase(Request("GET", "/", {},
                          {{"Host", kSuiteHost},
                           {"My-Header1", "value2"},
                           {"My-Header1", "value2"},
                           {"My-Header1", "value1"}}),
                  kGetHeaderKeyDuplicate);
  ExpectSuiteCase(Request("GET", "/", {},
                          {{"Host", kSuiteHost},
                           {"My-Header1", "value4"},
                           {"My-Header1", "value1"},
                           {"My-Header1", "value3"},
                           {"My-Header1", "value2"}}),
                  kGetHeaderValueOrder);
}

TEST(SigV4SuiteTest, GetHeaderValueMultiline) {
  ExpectSuiteCase(Request("GET", "/", {},
                          {{"Host", kSuiteHost},
                           {"My-Header1", "value1\n  value2\n     value3"}}),
                  kGetHeaderValueMultiline);
}

TEST(SigV4SuiteTest, PostVanillaEmptyQueryValue) {
  ExpectSuiteCase(Plain("POST", "/", {{"Param1", "value1"}}),
                  kPostVanillaEmptyQueryValue);
}

TEST(SigV4SuiteTest, PostHeaderKeySortAndValueCase) {
  ExpectSuiteCase(Request("POST", "/", {},
                          {{"Host", kSuiteHost}, {"My-Header1", "value1"}}),
                  kPostHeaderKeySort);
  ExpectSuiteCase(Request("POST", "/", {},
                          {{"Host", kSuiteHost}, {"My-Header1", "VALUE1"}}),
                  kPostHeaderValueCase);
}

// "sign_body": true in context.json: x-amz-content-sha256 is added and
// signed, with the body's hash.
TEST(SigV4SuiteTest, PostXWwwFormUrlencoded) {
  ExpectSuiteCase(
      Request("POST", "/", {},
              {{"Content-Type", "application/x-www-form-urlencoded"},
               {"Host", kSuiteHost},
               {"Content-Length", "13"}},
              Sha256Hex("Param1=value1")),
      kPostXWwwFormUrlencoded, "", /*sign_body=*/true);
  ExpectSuiteCase(Request("POST", "/", {},
                          {{"Content-Type",
                            "application/x-www-form-urlencoded; charset=utf-8"},
                           {"Host", kSuiteHost},
                           {"Content-Length", "13"}},
                          Sha256Hex("Param1=value1")),
                  kPostXWwwFormUrlencodedParameters, "", /*sign_body=*/true);
}

// The session token is sent as x-amz-security-token and signed.
TEST(SigV4SuiteTest, SessionTokensAreSentAndSigned) {
  ExpectSuiteCase(Plain("GET", "/"), kGetVanillaWithSessionToken, kSuiteToken);
  ExpectSuiteCase(Plain("POST", "/"), kPostStsHeaderBefore, kStsToken);
  const Pairs added =
      SignV4(Plain("GET", "/"),
             SigningCredentials{kSuiteAccessKey, kSuiteSecret, kSuiteToken},
             "us-east-1", "service", kSuiteTime, false);
  EXPECT_EQ(Header(added, "x-amz-security-token"), kSuiteToken);
}

// A signature that stays the published one when the secret, the time, the
// region or the service changes would sign for anything.
TEST(SigV4SuiteTest, TheSignatureMovesWithSecretTimeRegionAndService) {
  const SigningRequest request = Plain("GET", "/");
  auto signature = [&](const std::string& secret, int64_t time,
                       const std::string& region, const std::string& service) {
    const std::string authorization =
        Header(SignV4(request, SigningCredentials{kSuiteAccessKey, secret, ""},
                      region, service, time, false),
               "Authorization");
    return authorization.substr(authorization.find("Signature=") + 10);
  };
  const std::string published = kGetVanilla.signature;
  ASSERT_EQ(signature(kSuiteSecret, kSuiteTime, "us-east-1", "service"),
            published);
  EXPECT_NE(signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz", kSuiteTime,
                      "us-east-1", "service"),
            published);
  EXPECT_NE(signature(kSuiteSecret, kSuiteTime + 1, "us-east-1", "service"),
            published);
  EXPECT_NE(signature(kSuiteSecret, kSuiteTime + 86400, "us-east-1", "service"),
            published);
  EXPECT_NE(signature(kSuiteSecret, kSuiteTime, "us-east-2", "service"),
            published);
  EXPECT_NE(signature(kSuiteSecret, kSuiteTime, "us-east-1", "s3"), published);
  // The day is in the credential scope, the second in x-amz-date.
  const Pairs next_day =
      SignV4(request, SigningCredentials{kSuiteAccessKey, kSuiteSecret, ""},
             "us-east-1", "service", kSuiteTime + 86400 + 1, false);
  EXPECT_EQ(Header(next_day, "x-amz-date"), "20150831T123601Z");
  EXPECT_NE(Header(next_day, "Authorization").find("/20150831/us-east-1/"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// 2. The S3 examples.
// ---------------------------------------------------------------------------

constexpr int64_t kS3Time = 1369353600;  // 20130524T000000Z
constexpr char kS3Secret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kS3Host[] = "examplebucket.s3.amazonaws.com";

struct S3Example {
  const char* canonical_request;
  const char* canonical_request_sha256;  // the last line of StringToSign
  const char* signed_headers;
  const char* signature;
};

// Example: GET Object (the first 10 bytes of test.txt).
const S3Example kGetObject = {
    "GET\n"
    "/test.txt\n"
    "\n"
    "host:examplebucket.s3.amazonaws.com\n"
    "range:bytes=0-9\n"
    "x-amz-content-sha256:"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-amz-date:20130524T000000Z\n"
    "\n"
    "host;range;x-amz-content-sha256;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
    "host;range;x-amz-content-sha256;x-amz-date",
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"};

// Example: PUT Object (test$file.text, "Welcome to Amazon S3.", reduced
// redundancy, a Date header besides x-amz-date).
const S3Example kPutObject = {
    "PUT\n"
    "/test%24file.text\n"
    "\n"
    "date:Fri, 24 May 2013 00:00:00 GMT\n"
    "host:examplebucket.s3.amazonaws.com\n"
    "x-amz-content-sha256:"
    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
    "x-amz-date:20130524T000000Z\n"
    "x-amz-storage-class:REDUCED_REDUNDANCY\n"
    "\n"
    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
    "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
    "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"};

// Example: GET Bucket Lifecycle (a parameter without value: "lifecycle=").
const S3Example kGetLifecycle = {
    "GET\n"
    "/\n"
    "lifecycle=\n"
    "host:examplebucket.s3.amazonaws.com\n"
    "x-amz-content-sha256:"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-amz-date:20130524T000000Z\n"
    "\n"
    "host;x-amz-content-sha256;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
    "host;x-amz-content-sha256;x-amz-date",
    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"};

// Example: Get Bucket (List Objects), max-keys=2 and prefix=J.
const S3Example kListObjects = {
    "GET\n"
    "/\n"
    "max-keys=2&prefix=J\n"
    "host:examplebucket.s3.amazonaws.com\n"
    "x-amz-content-sha256:"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-amz-date:20130524T000000Z\n"
    "\n"
    "host;x-amz-content-sha256;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
    "host;x-amz-content-sha256;x-amz-date",
    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"};

// Signs `request` as the S3 backend does (x-amz-content-sha256 added) and
// checks each step against the example. AWS prints the Authorization
// header with "," between its parts; ours has ", " (both are accepted), so
// the parts are compared.
void ExpectS3Example(const SigningRequest& request, const S3Example& expected) {
  const SigningCredentials credentials{"AKIAIOSFODNN7EXAMPLE", kS3Secret, ""};
  const Pairs added =
      SignV4(request, credentials, "us-east-1", "s3", kS3Time, true);
  EXPECT_EQ(Header(added, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(Header(added, "x-amz-content-sha256"), request.payload_sha256);
  SigningRequest complete = request;
  for (const auto& header : added) {
    if (header.first != "Authorization") complete.headers.push_back(header);
  }
  EXPECT_EQ(CanonicalRequest(complete), expected.canonical_request);
  EXPECT_EQ(
      StringToSign(expected.canonical_request, "us-east-1", "s3", kS3Time),
      std::string("AWS4-HMAC-SHA256\n"
                  "20130524T000000Z\n"
                  "20130524/us-east-1/s3/aws4_request\n") +
          expected.canonical_request_sha256);
  EXPECT_EQ(Header(added, "Authorization"),
            std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
                        "20130524/us-east-1/s3/aws4_request, SignedHeaders=") +
                expected.signed_headers + ", Signature=" + expected.signature);
}

TEST(SigV4S3ExampleTest, GetObjectWithRange) {
  ExpectS3Example(Request("GET", "/test.txt", {},
                          {{"Host", kS3Host}, {"Range", "bytes=0-9"}}),
                  kGetObject);
}

TEST(SigV4S3ExampleTest, PutObject) {
  const std::string payload = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(payload,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  ExpectS3Example(Request("PUT", UriEncode("/test$file.text", false), {},
                          {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                           {"Host", kS3Host},
                           {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                          payload),
                  kPutObject);
}

TEST(SigV4S3ExampleTest, GetBucketLifecycle) {
  ExpectS3Example(Request("GET", "/", {{"lifecycle", ""}}, {{"Host", kS3Host}}),
                  kGetLifecycle);
}

// Given out of order, signed sorted.
TEST(SigV4S3ExampleTest, ListObjects) {
  ExpectS3Example(Request("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}},
                          {{"Host", kS3Host}}),
                  kListObjects);
}

TEST(SigV4S3ExampleTest, TheSignatureMovesWithSecretAndTime) {
  const SigningRequest request = Request(
      "GET", "/test.txt", {}, {{"Host", kS3Host}, {"Range", "bytes=0-9"}});
  auto authorization = [&](const std::string& secret, int64_t time) {
    return Header(
        SignV4(request, SigningCredentials{"AKIAIOSFODNN7EXAMPLE", secret, ""},
               "us-east-1", "s3", time, true),
        "Authorization");
  };
  const std::string published = kGetObject.signature;
  EXPECT_NE(authorization(kS3Secret, kS3Time).find(published),
            std::string::npos);
  EXPECT_EQ(authorization("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEX", kS3Time)
                .find(published),
            std::string::npos);
  EXPECT_EQ(authorization(kS3Secret, kS3Time + 1).find(published),
            std::string::npos);
  EXPECT_EQ(authorization(kS3Secret, kS3Time - 86400).find(published),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// The pieces.
// ---------------------------------------------------------------------------

TEST(SigV4Test, Sha256HexOfPublishedPayloads) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha256);
  // post-x-www-form-urlencoded's x-amz-content-sha256.
  EXPECT_EQ(Sha256Hex("Param1=value1"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

TEST(SigV4Test, AmzDate) {
  EXPECT_EQ(AmzDate(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(AmzDate(kS3Time), "20130524T000000Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
}

TEST(SigV4Test, UriEncodeKeepsOnlyTheUnreserved) {
  EXPECT_EQ(UriEncode(kUnreserved, true), kUnreserved);
  EXPECT_EQ(UriEncode("a b", false), "a%20b");  // never '+'
  EXPECT_EQ(UriEncode("~user", true), "~user");
  EXPECT_EQ(UriEncode("a+b", false), "a%2Bb");
  EXPECT_EQ(UriEncode("a*b", false), "a%2Ab");
  EXPECT_EQ(UriEncode("100%", false), "100%25");
  EXPECT_EQ(UriEncode("test$file.text", false), "test%24file.text");
  EXPECT_EQ(UriEncode("=&?#", true), "%3D%26%3F%23");
}

TEST(SigV4Test, UriEncodeSlashOnlyWhenAsked) {
  EXPECT_EQ(UriEncode("/docker/registry/v2", false), "/docker/registry/v2");
  EXPECT_EQ(UriEncode("/docker/registry/v2", true),
            "%2Fdocker%2Fregistry%2Fv2");
}

// UTF-8 byte by byte, hex in upper case (get-utf8: U+1234 is %E1%88%B4).
TEST(SigV4Test, UriEncodeUnicodeBytes) {
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", false), "%E1%88%B4");
  EXPECT_EQ(UriEncode("caf\xC3\xA9/\xE2\x82\xAC", false),
            "caf%C3%A9/%E2%82%AC");
  EXPECT_EQ(UriEncode(std::string("a\0b", 3), false), "a%00b");
  EXPECT_EQ(UriEncode("\xFF", false), "%FF");
}

// The headers SignV4 adds, by name and in order.
TEST(SigV4Test, TheAddedHeaders) {
  SigningRequest request = Plain("GET", "/");
  Pairs added = SignV4(request, SigningCredentials{"AK", "SK", ""}, "us-east-1",
                       "s3", kSuiteTime, false);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].first, "x-amz-date");
  EXPECT_EQ(added[1].first, "Authorization");
  added = SignV4(request, SigningCredentials{"AK", "SK", "TOKEN"}, "us-east-1",
                 "s3", kSuiteTime, true);
  ASSERT_EQ(added.size(), 4u);
  EXPECT_EQ(added[0].first, "x-amz-date");
  EXPECT_EQ(added[1].first, "x-amz-content-sha256");
  EXPECT_EQ(added[1].second, kEmptySha256);
  EXPECT_EQ(added[2].first, "x-amz-security-token");
  EXPECT_EQ(added[2].second, "TOKEN");
  EXPECT_EQ(added[3].first, "Authorization");
  EXPECT_NE(
      added[3].second.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                           "x-amz-security-token, "),
      std::string::npos);
}

// S3's unsigned payload: the literal takes the hash's place in the header
// and on the canonical request's last line.
TEST(SigV4Test, UnsignedPayload) {
  SigningRequest request = Plain("GET", "/k");
  request.payload_sha256 = "UNSIGNED-PAYLOAD";
  const Pairs added = SignV4(request, SigningCredentials{"AK", "SK", ""},
                             "us-east-1", "s3", kS3Time, true);
  EXPECT_EQ(Header(added, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  const std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(canonical.substr(canonical.rfind('\n') + 1), "UNSIGNED-PAYLOAD");
}

// A bucket's own path in virtual-host style is "/": an empty URI is that.
TEST(SigV4Test, AnEmptyPathIsTheRoot) {
  EXPECT_EQ(CanonicalRequest(Plain("GET", "")),
            CanonicalRequest(Plain("GET", "/")));
}

}  // namespace
}  // namespace regsweep::storage::s3
