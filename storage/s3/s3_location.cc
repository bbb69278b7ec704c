// Where an S3 store is and how to reach it (see s3_location.h).
#include "storage/s3/s3_location.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace regsweep::storage::s3 {
namespace {

constexpr std::string_view kScheme = "s3://";

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

char ToLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (ToLower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// "1.2.3.4": four dot-separated runs of digits, which S3 refuses as a
// bucket name (it would read as an address).
bool LooksLikeIpAddress(std::string_view name) {
  int dots = 0;
  bool digits = false;
  for (char c : name) {
    if (c == '.') {
      if (!digits) return false;
      ++dots;
      digits = false;
    } else if (c >= '0' && c <= '9') {
      digits = true;
    } else {
      return false;
    }
  }
  return dots == 3 && digits;
}

// Why S3 refuses `bucket` as a bucket name; empty when it does not. These
// are the rules of AWS for general-purpose buckets; RADOS Gateway and MinIO
// use the same. The reserved prefixes and suffixes (xn--, -s3alias, ...) are
// not checked: no bucket on AWS can have them, and a request for one fails
// with NoSuchBucket anyway. Legacy us-east-1 buckets with uppercase or '_'
// are refused; S3 no longer creates them.
std::string BucketProblem(std::string_view bucket) {
  const std::string name = "bucket name '" + std::string(bucket) + "' ";
  if (bucket.size() < 3 || bucket.size() > 63) {
    return name + "has " + std::to_string(bucket.size()) +
           " characters; S3 takes 3 to 63";
  }
  for (char c : bucket) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') {
      return name + "has '" + std::string(1, c) +
             "'; S3 takes lowercase letters, digits, '.' and '-' only";
    }
  }
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) {
    return name + "must start and end with a lowercase letter or digit";
  }
  if (bucket.find("..") != std::string_view::npos) {
    return name + "has two periods in a row, which S3 refuses";
  }
  if (LooksLikeIpAddress(bucket)) {
    return name + "is formatted as an IP address, which S3 refuses";
  }
  return "";
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// "~" and "~/..." from $HOME, as a shell would have done.
std::string ExpandHome(const std::string& path) {
  if (path != "~" && !path.starts_with("~/")) return path;
  const std::string home = Env("HOME");
  return home.empty() ? path : home + path.substr(1);
}

// An endpoint URL as S3Location keeps it: "scheme://host[:port]", https
// when no scheme is given.
Status NormalizeEndpoint(const char* variable, const std::string& url,
                         std::string* endpoint) {
  const std::string what = std::string(variable) + " '" + url + "'";
  std::string scheme = "https";
  std::string rest = url;
  if (const size_t colon = url.find("://"); colon != std::string::npos) {
    scheme = url.substr(0, colon);
    for (char& c : scheme) c = ToLower(c);
    rest = url.substr(colon + 3);
  }
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument(what, "is not an http:// or https:// URL");
  }
  const size_t path = rest.find_first_of("/?#");
  const std::string host = rest.substr(0, path);
  if (host.empty()) return Status::InvalidArgument(what, "has no host");
  if (path != std::string::npos &&
      rest.find_first_not_of('/', path) != std::string::npos) {
    return Status::InvalidArgument(
        what, "has a path; give scheme://host[:port] only");
  }
  *endpoint = scheme + "://" + host;
  return Status::OK();
}

// The first of `names` that is set, with its value; false when none is.
bool FirstSet(std::initializer_list<const char*> names, const char** name,
              std::string* value) {
  for (const char* candidate : names) {
    *value = Env(candidate);
    if (!value->empty()) {
      *name = candidate;
      return true;
    }
  }
  return false;
}

// Credentials from the environment as the AWS SDK for Go reads them (the
// registry's): AWS_ACCESS_KEY and AWS_SECRET_KEY are its older names.
Status EnvironmentCredentials(S3Credentials* credentials, bool* found) {
  const char* id_name = "AWS_ACCESS_KEY_ID";
  const char* secret_name = "AWS_SECRET_ACCESS_KEY";
  std::string id;
  std::string secret;
  const bool has_id = FirstSet({"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"},
                               &id_name, &id);
  const bool has_secret =
      FirstSet({"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"}, &secret_name,
               &secret);
  *found = has_id && has_secret;
  if (has_id != has_secret) {
    return Status::InvalidArgument(
        has_id ? id_name : secret_name,
        std::string("is set but ") +
            (has_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
            " is not; set both, or neither to use the shared credentials "
            "file");
  }
  if (!*found) return Status::OK();
  credentials->access_key = id;
  credentials->secret_key = secret;
  credentials->session_token = Env("AWS_SESSION_TOKEN");
  credentials->source = std::string(id_name) + " from the environment";
  return Status::OK();
}

std::string Trim(std::string_view text) {
  const size_t begin = text.find_first_not_of(" \t\r\n\f\v");
  if (begin == std::string_view::npos) return "";
  const size_t end = text.find_last_not_of(" \t\r\n\f\v");
  return std::string(text.substr(begin, end - begin + 1));
}

// A value of the credentials file: an inline comment ('#' or ';' after
// whitespace; keys and tokens never hold either) and surrounding quotes
// dropped, as the SDK's INI reader drops them.
std::string IniValue(std::string_view raw) {
  std::string value = Trim(raw);
  for (size_t i = 0; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') &&
        (i == 0 || value[i - 1] == ' ' || value[i - 1] == '\t')) {
      value = Trim(value.substr(0, i));
      break;
    }
  }
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  return value;
}

using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// Parses the shared credentials file: "[profile]" sections of "key = value"
// (or "key: value") lines, '#' and ';' comments. Keys are compared in
// lowercase; keys before the first section belong to no profile. Errors
// name the line but never echo it (it may hold a secret).
Status ParseIni(const std::string& path, std::istream& in,
                IniSections* sections) {
  std::string line;
  std::string section;
  bool in_section = false;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string text = Trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    const std::string where = "line " + std::to_string(number) + ": ";
    if (text[0] == '[') {
      const size_t close = text.rfind(']');
      if (close == std::string::npos) {
        return Status::InvalidArgument(path, where + "'[' without ']'");
      }
      section = Trim(std::string_view(text).substr(1, close - 1));
      in_section = true;
      (*sections)[section];
      continue;
    }
    const size_t delimiter = text.find_first_of("=:");
    std::string key =
        delimiter == std::string::npos ? "" : Trim(text.substr(0, delimiter));
    if (key.empty()) {
      return Status::InvalidArgument(
          path, where + "expected [profile], key = value, or a comment");
    }
    for (char& c : key) c = ToLower(c);
    if (in_section) {
      (*sections)[section][key] = IniValue(text.substr(delimiter + 1));
    }
  }
  return Status::OK();
}

// Credentials from the shared credentials file, for AWS_PROFILE or
// "default". A missing default file or default profile is no error: the
// user gave no credentials. One they named (AWS_SHARED_CREDENTIALS_FILE,
// AWS_PROFILE) must be there.
Status SharedFileCredentials(S3Credentials* credentials) {
  std::string path = ExpandHome(Env("AWS_SHARED_CREDENTIALS_FILE"));
  const bool named_file = !path.empty();
  if (!named_file) {
    const std::string home = Env("HOME");
    if (home.empty()) return Status::OK();
    path = home + "/.aws/credentials";
  }
  std::string profile = Env("AWS_PROFILE");
  const bool named_profile = !profile.empty();
  if (!named_profile) profile = "default";

  std::ifstream in(path);
  if (!in) {
    const int error = errno;
    if (!named_file && error == ENOENT) return Status::OK();
    return Status::InvalidArgument(
        path, std::string("cannot read the shared credentials file") +
                  (named_file ? " AWS_SHARED_CREDENTIALS_FILE names: "
                              : ": ") +
                  std::strerror(error));
  }
  IniSections sections;
  Status parsed = ParseIni(path, in, &sections);
  if (!parsed.ok()) return parsed;

  const auto found = sections.find(profile);
  if (found == sections.end()) {
    if (!named_profile) return Status::OK();
    return Status::InvalidArgument(
        path, "has no profile '" + profile + "' (AWS_PROFILE names it)");
  }
  const auto& keys = found->second;
  const auto id = keys.find("aws_access_key_id");
  const auto secret = keys.find("aws_secret_access_key");
  const bool has_id = id != keys.end() && !id->second.empty();
  const bool has_secret = secret != keys.end() && !secret->second.empty();
  if (!has_id && !has_secret && !named_profile) return Status::OK();
  if (!has_id || !has_secret) {
    return Status::InvalidArgument(
        path, "profile '" + profile + "' has no " +
                  (has_id ? "aws_secret_access_key" : "aws_access_key_id") +
                  " (regsweep reads static keys only; role_arn, sso_* and "
                  "credential_process are not supported)");
  }
  credentials->access_key = id->second;
  credentials->secret_key = secret->second;
  const auto token = keys.find("aws_session_token");
  credentials->session_token = token == keys.end() ? "" : token->second;
  credentials->source = "profile '" + profile + "' of " + path;
  return Status::OK();
}

Status ApplyCredentials(S3Credentials* credentials) {
  bool found = false;
  Status s = EnvironmentCredentials(credentials, &found);
  if (!s.ok() || found) return s;
  return SharedFileCredentials(credentials);
}

}  // namespace

// "s3:" with any case counts, so that "s3:/bucket" and "S3://bucket" get
// ParseS3Url's message rather than "no such directory".
bool IsAwsEndpoint(std::string_view endpoint) {
  if (endpoint.empty()) return true;
  const size_t scheme = endpoint.find("://");
  std::string_view host =
      scheme == std::string_view::npos ? endpoint : endpoint.substr(scheme + 3);
  host = host.substr(0, host.find_first_of(":/"));
  std::string name(host);
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (std::string_view domain : {"amazonaws.com", "amazonaws.com.cn"}) {
    if (name == domain || (name.size() > domain.size() &&
                           name.ends_with(domain) &&
                           name[name.size() - domain.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

bool IsS3Url(std::string_view text) { return StartsWithNoCase(text, "s3:"); }

Status ParseS3Url(std::string_view url, S3Location* location) {
  const std::string what(url);
  if (!StartsWithNoCase(url, kScheme)) {
    return Status::InvalidArgument(what,
                                   "is not an S3 URL: write s3://BUCKET[/ROOT]");
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::string_view bucket = rest.substr(0, rest.find('/'));
  if (bucket.empty()) {
    return Status::InvalidArgument(
        what, "has no bucket: write s3://BUCKET[/ROOT]");
  }
  if (std::string problem = BucketProblem(bucket); !problem.empty()) {
    return Status::InvalidArgument(what, problem);
  }
  rest.remove_prefix(bucket.size());
  // Keys are taken literally, so a "." or ".." would name no directory
  // (and the registry's SDK cleans them out of its request paths).
  std::string root;
  while (!rest.empty()) {
    rest.remove_prefix(std::min(rest.find_first_not_of('/'), rest.size()));
    const std::string_view part = rest.substr(0, rest.find('/'));
    rest.remove_prefix(part.size());
    if (part.empty()) break;
    if (part == "." || part == "..") {
      return Status::InvalidArgument(
          what, "root '" + std::string(url.substr(kScheme.size() +
                                                  bucket.size())) +
                    "' has a '" + std::string(part) +
                    "' component; S3 keys have no relative parts");
    }
    if (!root.empty()) root += '/';
    root += part;
  }
  location->bucket = std::string(bucket);
  location->root = root;
  return Status::OK();
}

Status ApplyAwsEnvironment(bool region_given, S3Location* location) {
  std::string value;
  const char* name = nullptr;
  if (!region_given && FirstSet({"AWS_REGION", "AWS_DEFAULT_REGION"}, &name,
                                &value)) {
    location->region = value;
  }
  if (location->endpoint.empty() &&
      FirstSet({"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}, &name, &value)) {
    Status s = NormalizeEndpoint(name, value, &location->endpoint);
    if (!s.ok()) return s;
  }
  if (location->ca_bundle.empty()) {
    location->ca_bundle = ExpandHome(Env("AWS_CA_BUNDLE"));
  }
  S3Credentials& credentials = location->credentials;
  if (!credentials.access_key.empty() || !credentials.secret_key.empty()) {
    return Status::OK();
  }
  return ApplyCredentials(&credentials);
}

std::string EffectiveEndpoint(const S3Location& location) {
  if (!location.endpoint.empty()) return location.endpoint;
  // AWS's China partition has its own domain.
  const char* domain = location.region.starts_with("cn-")
                           ? ".amazonaws.com.cn"
                           : ".amazonaws.com";
  return "https://s3." + location.region + domain;
}

}  // namespace regsweep::storage::s3
