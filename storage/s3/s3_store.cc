// The S3 backend (see s3_store.h).
#include "storage/s3/s3_store.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <semaphore>
#include <thread>
#include <unordered_map>

#include "storage/object_store.h"
#include "storage/s3/bucket_requests.h"
#include "storage/s3/http_client.h"
#include "storage/s3/retrying_sender.h"
#include "storage/s3/s3_xml.h"
#include "util/content_hash.h"

namespace regsweep::storage::s3 {
namespace {

constexpr int64_t kNsPerSecond = 1000000000;

// An HTTP date ("Wed, 12 Oct 2009 17:50:00 GMT") in ns since the epoch, or
// 0 when it is not one.
int64_t ParseHttpDate(const std::string& text) {
  struct tm tm = {};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm)) * kNsPerSecond;
}

// The version of an object: its ETag with its LastModified to the second
// (a listing gives milliseconds, a HEAD seconds: both must agree). Never 0.
uint64_t VersionOf(const std::string& etag, int64_t mtime_ns) {
  std::string token = etag;
  token += '@';
  token += std::to_string(mtime_ns / kNsPerSecond);
  const uint64_t version = XXH3_64bits(token.data(), token.size());
  return version == 0 ? 1 : version;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The MD5 an ETag spells, when it is one: 32 hex digits. A multipart
// upload's ("<hex>-<parts>") and a KMS-encrypted object's are not MD5s of
// the bytes; the latter cannot be told from the listing, so an ETag is
// only ever compared with the MD5 of bytes a caller expects (ObjectInfo):
// a false "MD5" then fails to match and the object is read.
bool Md5FromEtag(const std::string& etag, std::array<uint8_t, 16>* md5) {
  if (etag.size() != 32) return false;
  for (size_t i = 0; i < 16; ++i) {
    const int high = HexValue(etag[2 * i]);
    const int low = HexValue(etag[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    (*md5)[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return true;
}

ObjectInfo FileInfo(uint64_t size, int64_t mtime_ns, const std::string& etag) {
  ObjectInfo info;
  info.type = EntryType::kFile;
  info.size = size;
  info.mtime_ns = mtime_ns;
  info.changed_ns = mtime_ns;
  info.version = VersionOf(etag, mtime_ns);
  info.has_md5 = Md5FromEtag(etag, &info.md5);
  return info;
}

// The description an answer's headers give; `size` from Content-Length, or
// from Content-Range's total for a part.
ObjectInfo InfoFromHeaders(const HttpResponse& response) {
  uint64_t size = 0;
  const std::string range = response.Header("content-range");
  const size_t slash = range.rfind('/');
  const std::string length = slash != std::string::npos
                                 ? range.substr(slash + 1)
                                 : response.Header("content-length");
  if (!length.empty() && length != "*") {
    size = std::strtoull(length.c_str(), nullptr, 10);
  }
  return FileInfo(size, ParseHttpDate(response.Header("last-modified")),
                  Unquoted(response.Header("etag")));
}

// Whether a whole object's body agrees with its ETag, where the ETag is
// its MD5 (a single-part upload without KMS or customer keys); true where
// nothing can be told. Catches bodies cut short or changed on the way.
bool BodyMatchesEtag(const HttpResponse& response) {
  std::array<uint8_t, 16> md5{};
  if (!Md5FromEtag(Unquoted(response.Header("etag")), &md5)) return true;
  const std::string sse = response.Header("x-amz-server-side-encryption");
  if (sse.rfind("aws:kms", 0) == 0) return true;
  if (!response.Header("x-amz-server-side-encryption-customer-algorithm")
           .empty()) {
    return true;
  }
  return Md5Of(response.body) == md5;
}

// Whether the whole of the object is in a 200 or 206 answer.
bool HoldsWholeObject(const HttpResponse& response) {
  if (response.status == 200) return true;
  const std::string range = response.Header("content-range");
  const size_t slash = range.rfind('/');
  if (slash == std::string::npos) return false;
  return range.rfind("bytes 0-", 0) == 0 &&
         range.substr(slash + 1) == std::to_string(response.body.size());
}

// " after 3 attempts", or nothing for one.
std::string AfterAttempts(int attempts) {
  return attempts > 1 ? " after " + std::to_string(attempts) + " attempts"
                      : std::string();
}

// S3 takes at most this many parts for one multipart upload.
constexpr uint64_t kMaxParts = 10000;

// One multipart copy under way (S3Store::CopyObjects).
struct PartsJob {
  const ObjectCopy* copy = nullptr;
  size_t index = 0;  // of *copy in the copies asked for
  Status status;     // its first failure; OK so far
  // The source as its HEAD described it.
  uint64_t size = 0;
  std::string etag;  // as sent, quotes and all
  std::string content_type;
  std::string upload_id;                // once started
  std::vector<std::string> part_etags;  // in the order of the parts
};

// Reads the value a copy's answer gives (an ETag, an upload id) from its
// body; Corruption when the body is no such result.
using BodyParser = Status (*)(std::string_view xml, std::string* value);

class S3Store final : public ObjectStore {
 public:
  S3Store(const S3StoreOptions& options, BucketRequests requests,
          std::unique_ptr<HttpClient> client)
      : options_(options),
        requests_(std::move(requests)),
        client_(std::move(client)),
        sender_(client_.get(), options.retry, &counts_),
        root_prefix_(options.location.root.empty()
                         ? std::string()
                         : options.location.root + "/") {}

  std::string Describe(const std::string& key) const override {
    return requests_.Describe(root_prefix_ + key);
  }

  std::string Identity() const override;
  Capabilities capabilities() const override {
    Capabilities c = ObjectStore::capabilities();
    c.calls_in_flight = options_.concurrency;
    return c;
  }

  const S3RequestCounts& counts() const { return counts_; }

 protected:
  Status ListPage(const std::string& key_prefix, bool delimited,
                  const std::string& token, const std::string& start_after,
                  size_t max_keys,
                  ObjectPage* page) override;
  void GetObjects(const std::vector<ObjectRead>& reads,
                  std::vector<ObjectContents>* results) override;
  void HeadObjects(const std::vector<std::string>& keys,
                   std::vector<ObjectInfo>* infos,
                   std::vector<Status>* statuses) override;
  void DeleteObjects(const std::vector<std::string>& keys,
                     std::vector<Status>* results) override;
  Status PutIfAbsent(const std::string& key,
                     std::string_view contents) override;
  void CopyObjects(const std::vector<ObjectCopy>& copies,
                   std::vector<Status>* results) override;

 private:
  // The error for a final answer that is not a success: `what` names the
  // store's key, `action` the S3 permission it needed.
  Status Failure(const std::string& what, const HttpResponse& response,
                 int attempts, const char* permission) const;
  // Strips the root prefix from a bucket key; false when it lacks it.
  bool StoreKey(const std::string& bucket_key, std::string* key) const;

  // "s3://bucket/from (copying to s3://bucket/to)", for messages.
  std::string DescribeCopy(const ObjectCopy& copy) const;
  // Sends build(k) for every k < owners.size(), a request of copy
  // *owners[k], at once. Each is retried until it answers a 200 whose body
  // `parse` takes (or a refusal a rerun will not mend). (*values)[k] is
  // what parse took from answer k, (*statuses)[k] its outcome: OK,
  // NotFound for NoSuchKey (the source is gone), an error otherwise.
  void SendCopyRequests(const std::vector<const ObjectCopy*>& owners,
                        const RetryingSender::Build& build, BodyParser parse,
                        std::vector<std::string>* values,
                        std::vector<Status>* statuses);
  // CopyObject for each copies[i] of `which`, its outcome in (*results)[i].
  void CopyWhole(const std::vector<ObjectCopy>& copies,
                 const std::vector<size_t>& which,
                 std::vector<Status>* results);
  // The steps of multipart copies, each for the jobs still OK, each one
  // round of requests for all of them.
  void DescribeSources(std::vector<PartsJob>* jobs);
  void CopyInParts(std::vector<PartsJob>* jobs);
  void CopyParts(std::vector<PartsJob>* jobs);
  void AbortUploads(std::vector<PartsJob>* jobs);
  // One request of each job still OK, build(job); a 200 that `parse`
  // takes gives its value to take(job, value), anything else the job's
  // error.
  void StepJobs(std::vector<PartsJob>* jobs,
                const std::function<HttpRequest(const PartsJob&)>& build,
                BodyParser parse,
                const std::function<void(PartsJob*, std::string)>& take);

  const S3StoreOptions options_;
  const BucketRequests requests_;
  std::counting_semaphore<> parse_slots_{
      std::max<std::ptrdiff_t>(1, std::thread::hardware_concurrency())};
  std::unique_ptr<HttpClient> client_;
  S3RequestCounts counts_;
  RetryingSender sender_;
  const std::string root_prefix_;  // "root/" or ""
};

std::string S3Store::Identity() const {
  // Bucket names are global on AWS, whatever the regional endpoint.
  std::string host = IsAwsEndpoint(requests_.location().endpoint)
                         ? std::string("aws")
                         : requests_.host();
  for (char& c : host) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return "s3:" + host + "/" + options_.location.bucket + "/" +
         options_.location.root;
}

Status S3Store::Failure(const std::string& what, const HttpResponse& response,
                        int attempts, const char* permission) const {
  std::string why = DescribeAnswer(response) + AfterAttempts(attempts);
  const S3Credentials& credentials = options_.location.credentials;
  if (response.status == 403) {
    std::string who =
        credentials.access_key.empty()
            ? std::string("no credentials were given (set AWS_ACCESS_KEY_ID "
                          "and AWS_SECRET_ACCESS_KEY, a profile in "
                          "~/.aws/credentials, or storage.s3.accesskey in "
                          "the registry's config)")
            : "access key " + credentials.access_key + " (" +
                  credentials.source + ")";
    return Status::PermissionDenied(
        what, why + ": " + who + " was refused; it needs " + permission +
                  " on bucket " + options_.location.bucket);
  }
  const std::string code = ErrorCode(response);
  if (code == "NoSuchBucket") {
    return Status::PermissionDenied(
        what, why + ": bucket " + options_.location.bucket +
                  " does not exist at " + EffectiveEndpoint(options_.location));
  }
  if (response.status == 301 || code == "PermanentRedirect" ||
      code == "AuthorizationHeaderMalformed") {
    std::string region = response.Header("x-amz-bucket-region");
    return Status::PermissionDenied(
        what, why + ": the bucket is in another region" +
                  (region.empty() ? std::string(" (give --s3-region)")
                                  : " (" + region + ": give --s3-region " +
                                        region + ")"));
  }
  if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
      code == "RequestTimeTooSkewed") {
    return Status::PermissionDenied(
        what, why + " with access key " + credentials.access_key + " (" +
                  credentials.source + ")");
  }
  if (response.too_large) return Status::Corruption(what, why);
  return Status::IOError(what, why);
}

bool S3Store::StoreKey(const std::string& bucket_key, std::string* key) const {
  if (!bucket_key.starts_with(root_prefix_)) return false;
  *key = bucket_key.substr(root_prefix_.size());
  return true;
}

Status S3Store::ListPage(const std::string& key_prefix, bool delimited,
                         const std::string& token,
                         const std::string& start_after, size_t max_keys,
                         ObjectPage* page) {
  page->objects.clear();
  page->prefixes.clear();
  page->next_token.clear();
  const std::string bucket_prefix = root_prefix_ + key_prefix;
  // The parse of the last 2xx answer: the one kept when it is final.
  ListObjectsResult result;
  Status parsed;
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  counts_.list.fetch_add(1);
  sender_.Send(
      1,
      [&](size_t) {
        return requests_.List(
            bucket_prefix, delimited, token,
            start_after.empty() ? "" : root_prefix_ + start_after, max_keys);
      },
      [&](size_t, const HttpResponse& response) {
        result = ListObjectsResult();
        // Parsing is work for a core, and a page's document tree takes
        // about 1 MB per 1000 keys while it lasts: with a hundred
        // listings in flight, only as many parse at once as there are
        // cores.
        parse_slots_.acquire();
        parsed = ParseListObjectsV2(response.body, &result);
        parse_slots_.release();
        return parsed.ok();
      },
      &responses, &attempts);
  const HttpResponse& response = responses[0];
  const std::string what = Describe(key_prefix);
  if (response.status != 200) {
    return Failure(what + " (listing)", response, attempts[0], "s3:ListBucket");
  }
  if (!parsed.ok()) {
    return Status::IOError(what + " (listing)",
                           "the answer is not a listing after " +
                               std::to_string(attempts[0]) +
                               " attempts: " + parsed.message());
  }
  for (const ListedObject& object : result.objects) {
    ObjectPage::Object entry;
    if (!StoreKey(object.key, &entry.key) ||
        !entry.key.starts_with(key_prefix)) {
      return Status::IOError(what + " (listing)",
                             "the server listed key '" + object.key +
                                 "', which is not below the prefix asked for");
    }
    entry.info = FileInfo(object.size, object.last_modified_ns, object.etag);
    page->objects.push_back(std::move(entry));
  }
  for (const std::string& prefix : result.common_prefixes) {
    std::string key;
    if (!StoreKey(prefix, &key) || !key.starts_with(key_prefix)) {
      return Status::IOError(what + " (listing)",
                             "the server listed prefix '" + prefix +
                                 "', which is not below the prefix asked for");
    }
    page->prefixes.push_back(std::move(key));
  }
  if (result.truncated) page->next_token = result.next_continuation_token;
  return Status::OK();
}

void S3Store::GetObjects(const std::vector<ObjectRead>& reads,
                         std::vector<ObjectContents>* results) {
  results->assign(reads.size(), ObjectContents());
  if (reads.empty()) return;
  counts_.get.fetch_add(reads.size());
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender_.Send(
      reads.size(),
      [&](size_t i) {
        const ObjectRead& read = reads[i];
        std::string range;
        if (read.length != ObjectRead::kWhole) {
          if (read.length == 0) {
            range = "bytes=" + std::to_string(read.offset) + "-" +
                    std::to_string(read.offset);
          } else {
            range = "bytes=" + std::to_string(read.offset) + "-" +
                    std::to_string(read.offset + read.length - 1);
          }
        }
        HttpRequest request = requests_.Get(root_prefix_ + read.key, range);
        if (read.length == ObjectRead::kWhole &&
            read.max_bytes != ObjectRead::kWhole) {
          request.max_body_bytes = read.max_bytes;
        } else if (read.length != ObjectRead::kWhole) {
          request.max_body_bytes = std::max<uint64_t>(read.length, 1);
        }
        return request;
      },
      [&](size_t, const HttpResponse& response) {
        return !HoldsWholeObject(response) || BodyMatchesEtag(response);
      },
      &responses, &attempts);
  for (size_t i = 0; i < reads.size(); ++i) {
    const ObjectRead& read = reads[i];
    HttpResponse& response = responses[i];
    ObjectContents& result = (*results)[i];
    const std::string what = Describe(read.key);
    if (response.status == 200 || response.status == 206) {
      if (HoldsWholeObject(response) && !BodyMatchesEtag(response)) {
        result.status = Status::IOError(
            what, "the body does not match its ETag (MD5) after " +
                      std::to_string(attempts[i]) + " attempts");
        continue;
      }
      result.info = InfoFromHeaders(response);
      result.contents = std::move(response.body);
      if (read.length != ObjectRead::kWhole) {
        // A server that ignored the range sent it all: keep the part.
        if (response.status == 200) {
          result.contents = read.offset < result.contents.size()
                                ? result.contents.substr(read.offset,
                                                         read.length)
                                : std::string();
        } else if (result.contents.size() > read.length) {
          result.contents.resize(read.length);
        }
      }
      continue;
    }
    if (response.status == 416 && read.length != ObjectRead::kWhole) {
      result.info = InfoFromHeaders(response);  // at or past the end
      continue;
    }
    if (response.status == 404 && ErrorCode(response) != "NoSuchBucket") {
      result.status = Status::NotFound(what, "no such key");
      continue;
    }
    if (response.too_large) {
      result.status = Status::Corruption(
          what, "object is larger than " + std::to_string(read.max_bytes) +
                    " bytes");
      continue;
    }
    result.status = Failure(what, response, attempts[i], "s3:GetObject");
  }
}

void S3Store::HeadObjects(const std::vector<std::string>& keys,
                          std::vector<ObjectInfo>* infos,
                          std::vector<Status>* statuses) {
  infos->assign(keys.size(), ObjectInfo());
  statuses->assign(keys.size(), Status::OK());
  if (keys.empty()) return;
  counts_.head.fetch_add(keys.size());
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender_.Send(
      keys.size(),
      [&](size_t i) { return requests_.Head(root_prefix_ + keys[i]); },
      [](size_t, const HttpResponse&) { return true; }, &responses,
      &attempts);
  for (size_t i = 0; i < keys.size(); ++i) {
    const HttpResponse& response = responses[i];
    if (response.status == 200) {
      (*infos)[i] = InfoFromHeaders(response);
    } else if (response.status == 404) {
      // A HEAD answer has no body: a missing bucket looks the same, and
      // the listings that come first tell that one apart.
      (*statuses)[i] = Status::NotFound(Describe(keys[i]), "no such key");
    } else {
      (*statuses)[i] =
          Failure(Describe(keys[i]), response, attempts[i], "s3:GetObject");
    }
  }
}

void S3Store::DeleteObjects(const std::vector<std::string>& keys,
                            std::vector<Status>* results) {
  results->assign(keys.size(), Status::OK());
  const size_t batches = (keys.size() + kDeleteBatch - 1) / kDeleteBatch;
  if (batches == 0) return;
  counts_.delete_batches.fetch_add(batches);
  std::vector<std::string> bodies(batches);
  for (size_t b = 0; b < batches; ++b) {
    const size_t end = std::min(keys.size(), (b + 1) * kDeleteBatch);
    std::vector<std::string> bucket_keys;
    for (size_t i = b * kDeleteBatch; i < end; ++i) {
      bucket_keys.push_back(root_prefix_ + keys[i]);
    }
    bodies[b] = DeleteObjectsBody(bucket_keys);
  }
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender_.Send(
      batches, [&](size_t b) { return requests_.DeleteObjects(bodies[b]); },
      [](size_t, const HttpResponse& response) {
        std::vector<DeleteOutcome> outcomes;
        return ParseDeleteObjectsResult(response.body, &outcomes).ok();
      },
      &responses, &attempts);
  for (size_t b = 0; b < batches; ++b) {
    const size_t begin = b * kDeleteBatch;
    const size_t end = std::min(keys.size(), begin + kDeleteBatch);
    const HttpResponse& response = responses[b];
    std::vector<DeleteOutcome> outcomes;
    Status parsed = response.status == 200
                        ? ParseDeleteObjectsResult(response.body, &outcomes)
                        : Failure(Describe(keys[begin]) + " and " +
                                      std::to_string(end - begin - 1) +
                                      " more keys (deleting)",
                                  response, attempts[b], "s3:DeleteObject");
    if (!parsed.ok()) {
      for (size_t i = begin; i < end; ++i) (*results)[i] = parsed;
      continue;
    }
    // Every key must have an outcome; a key the server left out was not
    // deleted as far as anyone can tell.
    std::unordered_map<std::string, const DeleteOutcome*> by_key;
    for (const DeleteOutcome& outcome : outcomes) {
      by_key[outcome.key] = &outcome;
    }
    for (size_t i = begin; i < end; ++i) {
      auto it = by_key.find(root_prefix_ + keys[i]);
      if (it == by_key.end()) {
        (*results)[i] = Status::IOError(
            Describe(keys[i]), "the server did not report deleting it");
      } else if (!it->second->deleted) {
        const DeleteOutcome& outcome = *it->second;
        const std::string why = outcome.code + " (" + outcome.message + ")";
        (*results)[i] =
            outcome.code == "NoSuchKey"
                ? Status::NotFound(Describe(keys[i]), why)
                : outcome.code == "AccessDenied"
                      ? Status::PermissionDenied(
                            Describe(keys[i]),
                            why + ": it needs s3:DeleteObject")
                      : Status::IOError(Describe(keys[i]), why);
      }
    }
  }
}

// A retried put whose first attempt was stored but whose answer was lost
// finds its own object: AlreadyExists, which the caller tells apart by
// reading it back (see Store::Create).
Status S3Store::PutIfAbsent(const std::string& key, std::string_view contents) {
  counts_.put.fetch_add(1);
  const std::string body(contents);
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender_.Send(
      1, [&](size_t) { return requests_.PutIfAbsent(root_prefix_ + key, body); },
      [](size_t, const HttpResponse&) { return true; }, &responses, &attempts);
  const HttpResponse& response = responses[0];
  if (response.status == 200) return Status::OK();
  if (response.status == 412) {
    return Status::AlreadyExists(Describe(key), "the key is taken");
  }
  if (response.status == 501 || ErrorCode(response) == "NotImplemented") {
    return Status::NotSupported(
        Describe(key), DescribeAnswer(response) +
                           ": the server cannot put an object only if it is "
                           "absent (If-None-Match: *)");
  }
  return Failure(Describe(key), response, attempts[0], "s3:PutObject");
}

std::string S3Store::DescribeCopy(const ObjectCopy& copy) const {
  return Describe(copy.from) + " (copying to " + Describe(copy.to) + ")";
}

void S3Store::SendCopyRequests(const std::vector<const ObjectCopy*>& owners,
                               const RetryingSender::Build& build,
                               BodyParser parse,
                               std::vector<std::string>* values,
                               std::vector<Status>* statuses) {
  const size_t n = owners.size();
  values->assign(n, std::string());
  statuses->assign(n, Status::OK());
  if (n == 0) return;
  counts_.copy.fetch_add(n);
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender_.Send(
      n, build,
      [parse](size_t, const HttpResponse& response) {
        std::string value;
        return parse(response.body, &value).ok();
      },
      &responses, &attempts);
  for (size_t k = 0; k < n; ++k) {
    const HttpResponse& response = responses[k];
    if (response.status == 200) {
      // The 200 came before the work was done: only the body tells.
      Status parsed = parse(response.body, &(*values)[k]);
      if (!parsed.ok()) {
        (*statuses)[k] = Status::IOError(
            DescribeCopy(*owners[k]),
            "HTTP 200 but " + parsed.message() + AfterAttempts(attempts[k]));
      }
    } else if (response.status == 404 && ErrorCode(response) == "NoSuchKey") {
      (*statuses)[k] =
          Status::NotFound(Describe(owners[k]->from), "no such key");
    } else {
      (*statuses)[k] = Failure(DescribeCopy(*owners[k]), response, attempts[k],
                               "s3:GetObject on the source and s3:PutObject");
    }
  }
}

void S3Store::CopyWhole(const std::vector<ObjectCopy>& copies,
                        const std::vector<size_t>& which,
                        std::vector<Status>* results) {
  std::vector<const ObjectCopy*> owners;
  for (size_t i : which) owners.push_back(&copies[i]);
  std::vector<std::string> etags;
  std::vector<Status> statuses;
  SendCopyRequests(
      owners,
      [&](size_t k) {
        return requests_.Copy(root_prefix_ + owners[k]->from,
                              root_prefix_ + owners[k]->to);
      },
      ParseCopyObjectResult, &etags, &statuses);
  for (size_t k = 0; k < which.size(); ++k) {
    (*results)[which[k]] = std::move(statuses[k]);
  }
}

void S3Store::DescribeSources(std::vector<PartsJob>* jobs) {
  if (jobs->empty()) return;
  counts_.head.fetch_add(jobs->size());
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender_.Send(
      jobs->size(),
      [&](size_t k) {
        return requests_.Head(root_prefix_ + (*jobs)[k].copy->from);
      },
      [](size_t, const HttpResponse&) { return true; }, &responses, &attempts);
  for (size_t k = 0; k < jobs->size(); ++k) {
    PartsJob& job = (*jobs)[k];
    const HttpResponse& response = responses[k];
    if (response.status == 200) {
      job.size = InfoFromHeaders(response).size;
      job.etag = response.Header("etag");
      job.content_type = response.Header("content-type");
    } else if (response.status == 404) {
      job.status = Status::NotFound(Describe(job.copy->from), "no such key");
    } else {
      job.status = Failure(Describe(job.copy->from), response, attempts[k],
                           "s3:GetObject");
    }
  }
}

void S3Store::StepJobs(
    std::vector<PartsJob>* jobs,
    const std::function<HttpRequest(const PartsJob&)>& build, BodyParser parse,
    const std::function<void(PartsJob*, std::string)>& take) {
  std::vector<PartsJob*> live;
  std::vector<const ObjectCopy*> owners;
  for (PartsJob& job : *jobs) {
    if (!job.status.ok()) continue;
    live.push_back(&job);
    owners.push_back(job.copy);
  }
  std::vector<std::string> values;
  std::vector<Status> statuses;
  SendCopyRequests(
      owners, [&](size_t k) { return build(*live[k]); }, parse, &values,
      &statuses);
  for (size_t k = 0; k < live.size(); ++k) {
    if (statuses[k].ok()) {
      take(live[k], std::move(values[k]));
    } else {
      live[k]->status = std::move(statuses[k]);
    }
  }
}

void S3Store::CopyParts(std::vector<PartsJob>* jobs) {
  std::vector<PartCopy> parts;
  std::vector<PartsJob*> part_of;  // part_of[k]: the job of parts[k]
  std::vector<const ObjectCopy*> owners;
  for (PartsJob& job : *jobs) {
    if (!job.status.ok()) continue;
    const uint64_t part_size = std::max<uint64_t>(
        {options_.copy_part_size, (job.size + kMaxParts - 1) / kMaxParts, 1});
    job.part_etags.assign((job.size + part_size - 1) / part_size, "");
    for (uint64_t first = 0; first < job.size; first += part_size) {
      parts.push_back(
          PartCopy{.from = root_prefix_ + job.copy->from,
                   .from_etag = job.etag,
                   .first = first,
                   .last = std::min(job.size, first + part_size) - 1,
                   .to = root_prefix_ + job.copy->to,
                   .upload_id = job.upload_id,
                   .number = static_cast<size_t>(first / part_size) + 1});
      part_of.push_back(&job);
      owners.push_back(job.copy);
    }
  }
  std::vector<std::string> etags;
  std::vector<Status> statuses;
  SendCopyRequests(
      owners, [&](size_t k) { return requests_.UploadPartCopy(parts[k]); },
      ParseCopyPartResult, &etags, &statuses);
  for (size_t k = 0; k < parts.size(); ++k) {
    PartsJob& job = *part_of[k];
    if (!statuses[k].ok()) {
      if (job.status.ok()) job.status = std::move(statuses[k]);
    } else {
      job.part_etags[parts[k].number - 1] = std::move(etags[k]);
    }
  }
}

void S3Store::AbortUploads(std::vector<PartsJob>* jobs) {
  std::vector<PartsJob*> failed;
  for (PartsJob& job : *jobs) {
    if (!job.status.ok() && !job.upload_id.empty()) failed.push_back(&job);
  }
  if (failed.empty()) return;
  counts_.copy.fetch_add(failed.size());
  std::vector<HttpResponse> responses;
  std::vector<int> attempts;
  sender_.Send(
      failed.size(),
      [&](size_t k) {
        return requests_.AbortMultipartUpload(
            root_prefix_ + failed[k]->copy->to, failed[k]->upload_id);
      },
      [](size_t, const HttpResponse&) { return true; }, &responses, &attempts);
  for (size_t k = 0; k < failed.size(); ++k) {
    const HttpResponse& response = responses[k];
    // NoSuchUpload: gone already (a Complete that was done after all).
    if (response.status == 204 || response.status == 200 ||
        response.status == 404) {
      continue;
    }
    PartsJob& job = *failed[k];
    job.status = Status::IOError(
        DescribeCopy(*job.copy),
        std::string(job.status.reason()) + "; and its multipart upload " +
            job.upload_id + " could not be aborted (" +
            DescribeAnswer(response) + AfterAttempts(attempts[k]) +
            "): its parts take space until it is");
  }
}

void S3Store::CopyInParts(std::vector<PartsJob>* jobs) {
  StepJobs(
      jobs,
      [&](const PartsJob& job) {
        return requests_.CreateMultipartUpload(root_prefix_ + job.copy->to,
                                               job.content_type);
      },
      ParseInitiateMultipartUploadResult,
      [](PartsJob* job, std::string id) { job->upload_id = std::move(id); });
  CopyParts(jobs);
  StepJobs(
      jobs,
      [&](const PartsJob& job) {
        return requests_.CompleteMultipartUpload(
            root_prefix_ + job.copy->to, job.upload_id,
            CompleteMultipartUploadBody(job.part_etags));
      },
      ParseCompleteMultipartUploadResult, [](PartsJob*, std::string) {});
  AbortUploads(jobs);
}

// A source above the threshold is described first: its size now decides
// the parts, its ETag keeps every part to one version of it, and its
// Content-Type goes to the upload (a multipart copy does not carry it).
void S3Store::CopyObjects(const std::vector<ObjectCopy>& copies,
                          std::vector<Status>* results) {
  results->assign(copies.size(), Status::OK());
  const uint64_t threshold = options_.multipart_copy_threshold;
  std::vector<size_t> whole;
  std::vector<PartsJob> large;
  for (size_t i = 0; i < copies.size(); ++i) {
    if (copies[i].size <= threshold) {
      whole.push_back(i);
    } else {
      PartsJob job;
      job.copy = &copies[i];
      job.index = i;
      large.push_back(std::move(job));
    }
  }
  DescribeSources(&large);
  std::vector<PartsJob> in_parts;
  for (PartsJob& job : large) {
    if (!job.status.ok()) {
      (*results)[job.index] = job.status;
    } else if (job.size <= threshold) {
      whole.push_back(job.index);  // smaller now than when it was listed
    } else {
      in_parts.push_back(std::move(job));
    }
  }
  CopyWhole(copies, whole, results);
  CopyInParts(&in_parts);
  for (PartsJob& job : in_parts) (*results)[job.index] = std::move(job.status);
}

}  // namespace

Status OpenS3Store(const S3StoreOptions& options,
                   std::unique_ptr<HttpClient> client,
                   std::unique_ptr<Store>* store) {
  if (options.location.bucket.empty()) {
    return Status::InvalidArgument("s3://", "no bucket given");
  }
  BucketRequests requests;
  Status s = BucketRequests::Make(options.location, &requests);
  if (!s.ok()) return s;
  *store = std::make_unique<S3Store>(options, std::move(requests),
                                     std::move(client));
  return Status::OK();
}

Status OpenS3Store(const S3StoreOptions& options,
                   std::unique_ptr<Store>* store) {
  HttpClientOptions http;
  http.max_in_flight = std::max(1, options.concurrency);
  http.verify_tls = options.location.verify_tls;
  http.ca_bundle = options.location.ca_bundle;
  http.connect_timeout_ms = options.connect_timeout_ms;
  http.stall_timeout_ms = options.stall_timeout_ms;
  std::unique_ptr<HttpClient> client;
  Status s = HttpClient::Open(http, &client);
  if (!s.ok()) return s;
  return OpenS3Store(options, std::move(client), store);
}

const S3RequestCounts* RequestCountsOf(const Store* store) {
  const auto* s3 = dynamic_cast<const S3Store*>(store);
  return s3 != nullptr ? &s3->counts() : nullptr;
}

}  // namespace regsweep::storage::s3
