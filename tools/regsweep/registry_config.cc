#include "tools/regsweep/registry_config.h"

#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <span>

#include "tools/regsweep/go_flags.h"

extern char** environ;

namespace regsweep::cli {
namespace {

// Parses the registry's config.yml; a file that cannot be read says why
// (yaml-cpp's BadFile does not).
Status LoadConfig(const std::string& config_path, YAML::Node* config) {
  std::ifstream probe(config_path);
  if (!probe) {
    return Status::InvalidArgument(
        config_path,
        std::string("cannot read the config file: ") + std::strerror(errno));
  }
  try {
    *config = YAML::LoadFile(config_path);
  } catch (const YAML::BadFile&) {
    return Status::InvalidArgument(config_path, "cannot read the config file");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(config_path,
                                   std::string("not valid YAML: ") + e.what());
  }
  return Status::OK();
}

}  // namespace

namespace {

// ---------------------------------------------------------------------------
// The storage section as distribution holds it once yaml.v2 has decoded it.
// ---------------------------------------------------------------------------

struct ConfigEntry;

// A value of the storage section: a Go scalar, a map with string keys (the
// section itself, a driver's Parameters, and the maps the environment
// makes), or something else: a nested YAML map (yaml.v2 gives it interface
// keys, so the environment cannot reach into it) or a list.
struct ConfigValue {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kMap, kOther };
  Kind kind = Kind::kNull;
  std::string text;  // a scalar as Go's fmt.Sprint prints it
  bool truth = false;  // kBool
  std::vector<ConfigEntry> entries;  // kMap
  // The environment variable that set it, for messages; "": the file.
  std::string origin;
};

struct ConfigEntry {
  std::string key;
  ConfigValue value;
};

using Kind = ConfigValue::Kind;
using Path = std::span<const std::string>;

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool OneOf(const std::string& text,
           std::initializer_list<std::string_view> forms) {
  return std::find(forms.begin(), forms.end(), text) != forms.end();
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

// Go's strconv.ParseInt(text, 0, 64), else ParseUint: the decimal form of
// an integer literal ("0x1f", "0o17", "017", "0b101", "-12").
bool GoInteger(std::string_view text, std::string* decimal) {
  const bool sign = !text.empty() && (text[0] == '-' || text[0] == '+');
  const bool negative = sign && text[0] == '-';
  size_t i = sign ? 1 : 0;
  int base = 10;
  if (text.size() > i + 1 && text[i] == '0') {
    const char prefix = static_cast<char>(
        std::tolower(static_cast<unsigned char>(text[i + 1])));
    base = prefix == 'x' ? 16 : prefix == 'b' ? 2 : 8;
    i += (prefix == 'x' || prefix == 'b' || prefix == 'o') ? 2 : 1;
  }
  if (i >= text.size()) return false;
  uint64_t value = 0;
  for (; i < text.size(); ++i) {
    const int digit = DigitValue(text[i]);
    if (digit < 0 || digit >= base) return false;
    if (value > (UINT64_MAX - digit) / base) return false;
    value = value * base + digit;
  }
  // ParseUint takes no sign; ParseInt stops at int64.
  if (negative && value > uint64_t{1} << 63) return false;
  if (sign && !negative && value > INT64_MAX) return false;
  *decimal = (negative && value != 0 ? "-" : "") + std::to_string(value);
  return true;
}

// Go's %v of a float64: shortest digits, %e below 1e-4 and from 1e6 on.
std::string GoFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, value,
                           std::chars_format::scientific).ptr;
  const std::string scientific(buffer, end);
  const int exponent = std::atoi(scientific.c_str() + scientific.find('e') + 1);
  if (exponent < -4 || exponent >= 6) return scientific;
  end = std::to_chars(buffer, buffer + sizeof buffer, value,
                      std::chars_format::fixed).ptr;
  return std::string(buffer, end);
}

ConfigValue Scalar(Kind kind, std::string text) {
  ConfigValue value;
  value.kind = kind;
  value.text = std::move(text);
  return value;
}

// yaml.v2's resolve() of a plain scalar, decoded into interface{}
// (gopkg.in/yaml.v2 2.4.0, Debian's): YAML 1.1 booleans, Go integer
// literals, floats; timestamps and all else stay strings as written.
ConfigValue ResolvePlain(const std::string& text) {
  if (OneOf(text, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
                   "on", "On", "ON"})) {
    ConfigValue value = Scalar(Kind::kBool, "true");
    value.truth = true;
    return value;
  }
  if (OneOf(text, {"n", "N", "no", "No", "NO", "false", "False", "FALSE",
                   "off", "Off", "OFF"})) {
    return Scalar(Kind::kBool, "false");
  }
  if (OneOf(text, {"", "~", "null", "Null", "NULL"})) return ConfigValue();
  if (OneOf(text, {".nan", ".NaN", ".NAN"})) return Scalar(Kind::kFloat, "NaN");
  if (OneOf(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) {
    return Scalar(Kind::kFloat, "+Inf");
  }
  if (OneOf(text, {"-.inf", "-.Inf", "-.INF"})) return Scalar(Kind::kFloat, "-Inf");
  static const std::regex kDotFloat(R"(^\.[0-9]+([eE][-+]?[0-9]+)?$)");
  static const std::regex kFloat(
      R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  const char first = text[0];
  const bool number_like =
      first == '-' || first == '+' || (first >= '0' && first <= '9');
  std::string plain = text;
  if (number_like) std::erase(plain, '_');
  std::string decimal;
  if (number_like && GoInteger(plain, &decimal)) {
    return Scalar(Kind::kInt, decimal);
  }
  if ((first == '.' && std::regex_match(text, kDotFloat)) ||
      (number_like && std::regex_match(plain, kFloat))) {
    errno = 0;
    const double value = std::strtod(plain.c_str(), nullptr);
    // Go's ParseFloat fails past the largest float64: a string then.
    if (errno != ERANGE || std::fabs(value) < 1) {
      return Scalar(Kind::kFloat, GoFloat(value));
    }
  }
  return Scalar(Kind::kString, text);
}

// A YAML node decoded into an interface{}: scalars resolved, unless quoted
// or tagged !!str; nested maps and lists opaque.
ConfigValue Decode(const YAML::Node& node, const std::string& origin) {
  ConfigValue value;
  if (node.IsScalar()) {
    const std::string& tag = node.Tag();
    const bool resolvable =
        tag == "?" || (tag.starts_with("tag:yaml.org,2002:") &&
                       tag != "tag:yaml.org,2002:str" &&
                       tag != "tag:yaml.org,2002:binary");
    value = resolvable ? ResolvePlain(node.Scalar())
                       : Scalar(Kind::kString, node.Scalar());
  } else if (node.IsMap() || node.IsSequence()) {
    value.kind = Kind::kOther;
  }
  value.origin = origin;
  return value;
}

// Sets map[key], replacing a key spelled exactly so.
void Set(ConfigValue* map, const std::string& key, ConfigValue value) {
  for (ConfigEntry& entry : map->entries) {
    if (entry.key == key) {
      entry.value = std::move(value);
      return;
    }
  }
  map->entries.push_back({key, std::move(value)});
}

// A YAML node decoded into a driver's Parameters (map[string]interface{}):
// nil for null; false when it is not a map.
bool DecodeParameters(const YAML::Node& node, const std::string& origin,
                      ConfigValue* parameters) {
  *parameters = ConfigValue();
  parameters->origin = origin;
  if (!node.IsDefined() || node.IsNull()) return true;
  if (!node.IsMap()) return false;
  parameters->kind = Kind::kMap;
  for (const auto& item : node) {
    if (!item.first.IsScalar()) return false;
    Set(parameters, item.first.Scalar(), Decode(item.second, origin));
  }
  return true;
}

// configuration.Storage's UnmarshalYAML: a map of driver names to their
// parameters, or a driver's name alone. `what` names the source.
Status DecodeStorage(const YAML::Node& node, const std::string& what,
                     const std::string& origin, ConfigValue* storage) {
  *storage = ConfigValue();
  storage->kind = Kind::kMap;
  // Checked first: yaml-cpp throws on asking anything else of a missing
  // node.
  if (!node.IsDefined() || node.IsNull()) return Status::OK();
  if (node.IsScalar()) {
    ConfigValue parameters;
    parameters.kind = Kind::kMap;
    parameters.origin = origin;
    Set(storage, node.Scalar(), std::move(parameters));
    return Status::OK();
  }
  if (!node.IsMap()) {
    return Status::InvalidArgument(what, "storage is not a map of drivers");
  }
  for (const auto& item : node) {
    ConfigValue parameters;
    const std::string name = item.first.IsScalar() ? item.first.Scalar() : "?";
    if (!DecodeParameters(item.second, origin, &parameters)) {
      return Status::InvalidArgument(
          what, "storage." + name +
                    " is not a map of settings; the registry refuses it");
    }
    Set(storage, name, std::move(parameters));
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// The environment overrides (distribution's configuration/parser.go).
// ---------------------------------------------------------------------------

struct EnvSetting {
  std::string name;
  std::string payload;
  std::vector<std::string> path;  // the name's parts after REGISTRY_STORAGE
};

// REGISTRY_STORAGE and REGISTRY_STORAGE_*, in name order: distribution
// sorts the environment so that REGISTRY_STORAGE comes before the
// variables that set parameters below it.
std::vector<EnvSetting> StorageEnvironment() {
  std::vector<EnvSetting> settings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    EnvSetting setting{std::string(text.substr(0, equals)),
                       std::string(text.substr(equals + 1)), {}};
    std::vector<std::string> parts;
    for (size_t begin = 0;;) {
      const size_t end = setting.name.find('_', begin);
      parts.push_back(setting.name.substr(begin, end - begin));
      if (end == std::string::npos) break;
      begin = end + 1;
    }
    // The struct field is matched in uppercase, exactly.
    if (parts.size() < 2 || parts[0] != "REGISTRY" || parts[1] != "STORAGE") {
      continue;
    }
    setting.path.assign(parts.begin() + 2, parts.end());
    settings.push_back(std::move(setting));
  }
  std::sort(settings.begin(), settings.end(),
            [](const EnvSetting& a, const EnvSetting& b) {
              return a.name < b.name;
            });
  return settings;
}

Status LoadPayload(const EnvSetting& env, YAML::Node* node) {
  try {
    *node = YAML::Load(env.payload);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(env.name,
                                   std::string("is not valid YAML: ") + e.what());
  }
  return Status::OK();
}

Status OverwriteMap(ConfigValue* map, Path path, const EnvSetting& env,
                    bool holds_parameters);

// overwriteFields on a value held in a map: into a map with string keys; a
// nil value becomes such a map; anything else (a scalar, a YAML map, a
// list) is left alone, as distribution leaves it.
Status Overwrite(ConfigValue* value, Path path, const EnvSetting& env) {
  if (value->kind == Kind::kNull) {
    value->kind = Kind::kMap;
    value->origin = env.name;
  }
  if (value->kind != Kind::kMap) return Status::OK();
  return OverwriteMap(value, path, env, false);
}

// overwriteMap: path[0] names a key of `map` (compared in uppercase);
// deeper paths go into its value unless that is nil, else the key is
// (re)made, in lowercase, from the payload (YAML) or the deeper path.
// `holds_parameters`: `map` is the storage section, whose values are
// Parameters maps rather than interface{}.
Status OverwriteMap(ConfigValue* map, Path path, const EnvSetting& env,
                    bool holds_parameters) {
  if (path.size() > 1) {
    for (ConfigEntry& entry : map->entries) {
      if (Upper(entry.key) != path[0]) continue;
      if (entry.value.kind == Kind::kNull) break;
      return Overwrite(&entry.value, path.subspan(1), env);
    }
  }
  ConfigValue made;
  made.origin = env.name;
  if (holds_parameters) made.kind = Kind::kMap;
  if (path.size() > 1) {
    Status s = Overwrite(&made, path.subspan(1), env);
    if (!s.ok()) return s;
  } else {
    YAML::Node node;
    Status s = LoadPayload(env, &node);
    if (!s.ok()) return s;
    if (!holds_parameters) {
      made = Decode(node, env.name);
    } else if (!DecodeParameters(node, env.name, &made)) {
      return Status::InvalidArgument(env.name, "is not a map of settings");
    }
    if (holds_parameters && made.kind == Kind::kNull) made.kind = Kind::kMap;
  }
  Set(map, Lower(path[0]), std::move(made));
  return Status::OK();
}

Status ApplyStorageEnvironment(ConfigValue* storage) {
  for (const EnvSetting& env : StorageEnvironment()) {
    Status s;
    if (env.path.empty()) {
      YAML::Node node;
      s = LoadPayload(env, &node);
      if (s.ok()) s = DecodeStorage(node, env.name, env.name, storage);
    } else {
      s = OverwriteMap(storage, env.path, env, true);
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Reading a driver's parameters as its FromParameters does.
// ---------------------------------------------------------------------------

// The chosen driver's parameters, for reading them and for messages.
struct DriverSettings {
  const std::string& config_path;
  std::string prefix;          // "storage.s3."
  const ConfigValue* params;   // kMap, or kNull for none
};

struct Setting {
  std::string name;                  // "storage.s3.bucket"
  const ConfigValue* value = nullptr;  // nullptr: not set

  // "storage.s3.bucket", or "REGISTRY_STORAGE_S3_BUCKET
  // (storage.s3.bucket)" when the environment set it.
  std::string Describe() const {
    if (value == nullptr || value->origin.empty()) return name;
    return value->origin + " (" + name + ")";
  }
};

// parameters["key"]: exact, as the drivers look keys up.
Setting Find(const DriverSettings& driver, const char* key) {
  Setting setting{driver.prefix + key, nullptr};
  for (const ConfigEntry& entry : driver.params->entries) {
    if (entry.key == key) setting.value = &entry.value;
  }
  return setting;
}

Status Refuse(const DriverSettings& driver, const std::string& why) {
  return Status::InvalidArgument(driver.config_path, why);
}

// fmt.Sprint of a string parameter: "" when unset or null.
Status ReadString(const DriverSettings& driver, const Setting& setting,
                  std::string* out) {
  out->clear();
  if (setting.value == nullptr) return Status::OK();
  const Kind kind = setting.value->kind;
  if (kind == Kind::kMap || kind == Kind::kOther) {
    return Refuse(driver, setting.Describe() + " is not a string");
  }
  *out = setting.value->text;
  return Status::OK();
}

// A boolean parameter: a YAML boolean, or a string strconv.ParseBool takes.
Status ReadBool(const DriverSettings& driver, const Setting& setting,
                bool default_value, bool* out) {
  *out = default_value;
  if (setting.value == nullptr || setting.value->kind == Kind::kNull) {
    return Status::OK();
  }
  if (setting.value->kind == Kind::kBool) {
    *out = setting.value->truth;
    return Status::OK();
  }
  if (setting.value->kind == Kind::kString &&
      ParseGoBool(setting.value->text, out)) {
    return Status::OK();
  }
  return Refuse(driver, setting.Describe() + " '" + setting.value->text +
                            "' is not a boolean; write true or false (the "
                            "registry refuses it too)");
}

// The drivers distribution's Type() counts: every key but these.
bool IsDriverName(const std::string& key) {
  return !OneOf(key, {"maintenance", "cache", "delete", "redirect"});
}

Status PickDriver(const std::string& config_path, const ConfigValue& storage,
                  std::string* name, const ConfigValue** params) {
  std::vector<std::string> drivers;
  for (const ConfigEntry& entry : storage.entries) {
    if (!IsDriverName(entry.key)) continue;
    drivers.push_back(entry.key);
    *name = entry.key;
    *params = &entry.value;
  }
  if (drivers.empty()) {
    return Status::InvalidArgument(
        config_path,
        "has no storage driver (storage.filesystem or storage.s3); the "
        "registry does not start without one");
  }
  if (drivers.size() > 1) {
    std::sort(drivers.begin(), drivers.end());
    std::string list;
    for (const std::string& driver : drivers) {
      list += (list.empty() ? "" : ", ") + driver;
    }
    return Status::InvalidArgument(
        config_path, "names more than one storage driver (" + list +
                         ") between the file and the REGISTRY_STORAGE* "
                         "environment; the registry refuses that: keep one");
  }
  return Status::OK();
}

Status ReadFilesystem(const DriverSettings& driver,
                      StorageLocation* location) {
  const Setting root = Find(driver, "rootdirectory");
  location->driver = StorageLocation::Driver::kFilesystem;
  // distribution's default root directory.
  location->root = "/var/lib/registry";
  if (root.value == nullptr) return Status::OK();
  Status s = ReadString(driver, root, &location->root);
  if (!s.ok()) return s;
  if (location->root.empty()) {
    return Refuse(driver, root.Describe() +
                              " is empty; give the store's directory, or "
                              "leave it out for /var/lib/registry");
  }
  return Status::OK();
}

// regionendpoint as the registry's SDK takes it: a scheme added when there
// is none (https, or http when `secure` is false), then kept as
// scheme://host[:port].
Status ReadRegionEndpoint(const DriverSettings& driver, const Setting& setting,
                          const std::string& text, bool secure,
                          std::string* endpoint) {
  const size_t separator = text.find("://");
  const bool has_scheme =
      separator != std::string::npos && text.find(':') == separator;
  std::string url = has_scheme ? text : (secure ? "https://" : "http://") + text;
  const size_t host_at = url.find("://") + 3;
  const std::string scheme = Lower(url.substr(0, host_at - 3));
  const std::string what = setting.Describe() + " '" + text + "'";
  if (scheme != "http" && scheme != "https") {
    return Refuse(driver, what + " is not an http:// or https:// URL");
  }
  const size_t path_at = url.find_first_of("/?#", host_at);
  const std::string host = url.substr(host_at, path_at - host_at);
  if (host.empty()) return Refuse(driver, what + " has no host");
  if (path_at != std::string::npos &&
      url.find_first_not_of('/', path_at) != std::string::npos) {
    return Refuse(driver, what + " has a path; regsweep takes "
                                 "scheme://host[:port] only");
  }
  *endpoint = scheme + "://" + host;
  return Status::OK();
}

// What 2.8.2's driver reads of bucket, rootdirectory, region and their
// endpoint; `secure` picks the scheme where none is given.
Status ReadS3Address(const DriverSettings& driver, bool secure,
                     storage::s3::S3Location* s3) {
  const Setting bucket = Find(driver, "bucket");
  const Setting region = Find(driver, "region");
  const Setting endpoint = Find(driver, "regionendpoint");
  const Setting root = Find(driver, "rootdirectory");
  std::string bucket_name, region_name, endpoint_text, root_text;
  Status s = ReadString(driver, bucket, &bucket_name);
  if (s.ok()) s = ReadString(driver, region, &region_name);
  if (s.ok()) s = ReadString(driver, endpoint, &endpoint_text);
  if (s.ok()) s = ReadString(driver, root, &root_text);
  if (!s.ok()) return s;
  if (region_name.empty()) {
    return Refuse(driver, region.Describe() +
                              " is not set; the registry does not start "
                              "without it: give the bucket's region");
  }
  if (bucket_name.empty()) {
    return Refuse(driver, bucket.Describe() +
                              " is not set; the registry does not start "
                              "without it: give the bucket's name");
  }
  // The key prefix goes in rootdirectory, not after the bucket's name.
  if (bucket_name.find('/') != std::string::npos) {
    return Refuse(driver, bucket.Describe() + " '" + bucket_name +
                              "' has '/'; put the key prefix in " +
                              root.name);
  }
  s = storage::s3::ParseS3Url("s3://" + bucket_name, s3);
  if (!s.ok()) {
    return Refuse(driver, bucket.Describe() + ": " + std::string(s.reason()));
  }
  // The same root ParseS3Url makes of a URL: the SDK cleans "//" out of
  // the keys the registry writes.
  s = storage::s3::ParseS3Url("s3://" + bucket_name + "/" + root_text, s3);
  if (!s.ok()) {
    return Refuse(driver, root.Describe() + ": " + std::string(s.reason()));
  }
  s3->region = region_name;
  if (!endpoint_text.empty()) {
    // 2.8.2 always makes path-style requests to a regionendpoint.
    s3->path_style = true;
    return ReadRegionEndpoint(driver, endpoint, endpoint_text, secure,
                              &s3->endpoint);
  }
  // Without an endpoint 2.8.2 takes AWS's regions only.
  static const std::regex kAwsRegion(R"(^[a-z]{2}(-[a-z]+)+-[0-9]+$)");
  if (!std::regex_match(region_name, kAwsRegion)) {
    return Refuse(driver, region.Describe() + " '" + region_name +
                              "' is not an AWS region (us-east-1, ...); for "
                              "another S3 service, set " + endpoint.name);
  }
  if (!secure) {
    s3->endpoint = "http://" + storage::s3::EffectiveEndpoint(*s3).substr(
                                   std::string_view("https://").size());
  }
  // The SDK's virtual-hosted requests, except that a bucket with '.' would
  // not match AWS's certificate.
  s3->path_style = secure && bucket_name.find('.') != std::string::npos;
  return Status::OK();
}

// accesskey and secretkey when both are set; otherwise what the rest of
// the SDK's chain finds (environment, shared credentials file), and the
// CA bundle its session reads.
Status ReadS3Credentials(const DriverSettings& driver,
                         storage::s3::S3Location* s3) {
  const Setting access = Find(driver, "accesskey");
  const Setting secret = Find(driver, "secretkey");
  storage::s3::S3Credentials& credentials = s3->credentials;
  Status s = ReadString(driver, access, &credentials.access_key);
  if (s.ok()) s = ReadString(driver, secret, &credentials.secret_key);
  if (!s.ok()) return s;
  if (!credentials.access_key.empty() && !credentials.secret_key.empty()) {
    credentials.source = access.value->origin.empty()
                             ? access.name + " of " + driver.config_path
                             : access.value->origin;
  } else {
    credentials = storage::s3::S3Credentials();
  }
  // The SDK 2.8.2 builds on reads neither AWS_REGION (the config's region
  // is required) nor AWS_ENDPOINT_URL: keep them out.
  storage::s3::S3Location environment;
  environment.endpoint = "config";
  environment.credentials = credentials;
  s = storage::s3::ApplyAwsEnvironment(true, &environment);
  if (!s.ok()) return s;
  credentials = environment.credentials;
  s3->ca_bundle = environment.ca_bundle;
  return Status::OK();
}

Status ReadS3(const DriverSettings& driver, StorageLocation* location) {
  location->driver = StorageLocation::Driver::kS3;
  storage::s3::S3Location& s3 = location->s3;
  bool secure = true;
  bool skip_verify = false;
  bool v4auth = true;
  const Setting v4 = Find(driver, "v4auth");
  Status s = ReadBool(driver, Find(driver, "secure"), true, &secure);
  if (s.ok()) s = ReadBool(driver, Find(driver, "skipverify"), false, &skip_verify);
  if (s.ok()) s = ReadBool(driver, v4, true, &v4auth);
  if (!s.ok()) return s;
  if (!v4auth) {
    return Refuse(driver,
                  v4.Describe() +
                      " is false (AWS signature version 2), which regsweep "
                      "does not speak; set v4auth: true: every current S3 "
                      "service, RADOS Gateway and MinIO included, takes it");
  }
  s3.verify_tls = !skip_verify;
  s = ReadS3Address(driver, secure, &s3);
  if (!s.ok()) return s;
  return ReadS3Credentials(driver, &s3);
}

// The storage section of the file, with the environment over it.
Status ReadStorage(const std::string& config_path, const YAML::Node& config,
                   ConfigValue* storage) {
  try {
    // Constructed, not assigned: yaml-cpp throws on assigning a missing
    // node.
    const YAML::Node section =
        config.IsMap() ? config["storage"] : YAML::Node();
    Status s = DecodeStorage(section, config_path, "", storage);
    if (!s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(config_path,
                                   std::string("storage section: ") + e.what());
  }
  return ApplyStorageEnvironment(storage);
}

}  // namespace

Status ReadStorageLocation(const std::string& config_path,
                           StorageLocation* location) {
  *location = StorageLocation();
  YAML::Node config;
  Status s = LoadConfig(config_path, &config);
  ConfigValue storage;
  if (s.ok()) s = ReadStorage(config_path, config, &storage);
  std::string name;
  const ConfigValue* params = nullptr;
  if (s.ok()) s = PickDriver(config_path, storage, &name, &params);
  if (!s.ok()) return s;
  const DriverSettings driver{config_path, "storage." + name + ".", params};
  if (name == "filesystem") return ReadFilesystem(driver, location);
  // s3aws is the same driver's other registered name.
  if (name == "s3" || name == "s3aws") return ReadS3(driver, location);
  return Status::InvalidArgument(
      config_path, "storage driver '" + name +
                       "' is not supported; regsweep works on filesystem and "
                       "s3 stores");
}

Status ReadStorageRoot(const std::string& config_path, std::string* root) {
  StorageLocation location;
  Status s = ReadStorageLocation(config_path, &location);
  if (!s.ok()) return s;
  if (location.driver != StorageLocation::Driver::kFilesystem) {
    return Status::InvalidArgument(
        config_path,
        "uses the s3 storage driver; this works on filesystem stores only");
  }
  *root = location.root;
  return Status::OK();
}

namespace {

// Go's %v of what yaml.v2 decodes: scalars as written, a list as
// "[a b]", a map as "map[k:v]" (keys sorted, as fmt sorts them).
std::string GoValue(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  std::string out;
  if (node.IsSequence()) {
    out = "[";
    for (size_t i = 0; i < node.size(); ++i) {
      if (i > 0) out += " ";
      out += GoValue(node[i]);
    }
    return out + "]";
  }
  if (node.IsMap()) {
    std::vector<std::pair<std::string, std::string>> items;
    for (const auto& item : node) {
      items.emplace_back(GoValue(item.first), GoValue(item.second));
    }
    std::sort(items.begin(), items.end());
    out = "map[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += " ";
      out += items[i].first + ":" + items[i].second;
    }
    return out + "]";
  }
  return "<nil>";
}

}  // namespace

Status ReadRegistryLog(const std::string& config_path, RegistryLog* log) {
  *log = RegistryLog();
  YAML::Node config;
  Status loaded = LoadConfig(config_path, &config);
  if (!loaded.ok()) return loaded;
  try {
    YAML::Node section = config["log"];
    if (section && section.IsMap()) {
      if (YAML::Node level = section["level"]; level && level.IsScalar()) {
        log->level = level.Scalar();
      }
      if (YAML::Node formatter = section["formatter"];
          formatter && formatter.IsScalar()) {
        log->formatter = formatter.Scalar();
      }
      if (YAML::Node fields = section["fields"]; fields && fields.IsMap()) {
        for (const auto& field : fields) {
          log->fields.emplace_back(field.first.as<std::string>(),
                                   GoValue(field.second));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(config_path,
                                   std::string("log section: ") + e.what());
  }
  if (const char* env = std::getenv("REGISTRY_LOG_LEVEL");
      env != nullptr && *env != '\0') {
    log->level = env;
  }
  if (const char* env = std::getenv("REGISTRY_LOG_FORMATTER");
      env != nullptr && *env != '\0') {
    log->formatter = env;
  }
  std::string level = log->level;
  for (char& c : level) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (level.empty()) level = "info";
  if (level != "error" && level != "warn" && level != "info" &&
      level != "debug") {
    return Status::InvalidArgument(
        config_path, "log.level '" + log->level +
                         "' is not one of error, warn, info, debug");
  }
  log->level = level;
  if (log->formatter.empty()) log->formatter = "text";
  if (log->formatter != "text" && log->formatter != "json" &&
      log->formatter != "logstash") {
    return Status::InvalidArgument(
        config_path, "log.formatter '" + log->formatter +
                         "' is not one of text, json, logstash");
  }
  std::sort(log->fields.begin(), log->fields.end());
  return Status::OK();
}

}  // namespace regsweep::cli
