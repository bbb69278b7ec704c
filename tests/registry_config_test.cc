// The registry's config.yml storage section (tools/regsweep/registry_config.h)
// as Debian's docker-registry 2.8.2 reads it: distribution's configuration
// parser (yaml.v2, REGISTRY_STORAGE* overrides) and the s3-aws and
// filesystem drivers' FromParameters. Each test writes its config to a
// scratch directory and runs with the REGISTRY_* and AWS variables cleared
// (and put back afterwards).
#include "tools/regsweep/registry_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace regsweep::cli {
namespace {

namespace fs = std::filesystem;
using Driver = StorageLocation::Driver;

constexpr const char* kAwsVariables[] = {
    "AWS_REGION",          "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",   "AWS_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY",
    "AWS_SESSION_TOKEN",   "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_PROFILE",         "AWS_CA_BUNDLE",
    "HOME"};

class RegistryConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> names(std::begin(kAwsVariables),
                                   std::end(kAwsVariables));
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string text(*entry);
      if (text.starts_with("REGISTRY_")) {
        names.push_back(text.substr(0, text.find('=')));
      }
    }
    for (const std::string& name : names) {
      const char* value = getenv(name.c_str());
      saved_[name] = value == nullptr ? std::nullopt
                                      : std::optional<std::string>(value);
    }
    for (const std::string& name : names) unsetenv(name.c_str());
    char scratch[] = "/tmp/registry_config_test.XXXXXX";
    ASSERT_NE(mkdtemp(scratch), nullptr);
    dir_ = scratch;
    setenv("HOME", dir_.c_str(), 1);
    path_ = dir_ + "/config.yml";
  }

  void TearDown() override {
    for (const char* name : set_) unsetenv(name);
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
    fs::remove_all(dir_);
  }

  void Env(const char* name, const char* value) {
    setenv(name, value, 1);
    set_.push_back(name);
  }

  Status Read(const std::string& yaml, StorageLocation* location) {
    std::ofstream(path_) << "version: 0.1\n" << yaml;
    return ReadStorageLocation(path_, location);
  }

  // Reads `yaml`, which must be an S3 config.
  storage::s3::S3Location S3(const std::string& yaml) {
    StorageLocation location;
    Status s = Read(yaml, &location);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(location.driver, Driver::kS3);
    return location.s3;
  }

  // The message of reading `yaml`, which must fail.
  std::string Refused(const std::string& yaml) {
    StorageLocation location;
    Status s = Read(yaml, &location);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find(path_), std::string::npos) << s.ToString();
    return s.message();
  }

  std::string dir_;
  std::string path_;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
  std::vector<const char*> set_;
};

constexpr char kAws[] =
    "storage:\n"
    "  s3:\n"
    "    accesskey: AKIAFILE\n"
    "    secretkey: filesecret\n"
    "    region: eu-west-1\n"
    "    bucket: registry-store\n"
    "    rootdirectory: /prod/registry/\n";

constexpr char kMinio[] =
    "storage:\n"
    "  s3:\n"
    "    accesskey: minio\n"
    "    secretkey: minio123\n"
    "    region: us-east-1\n"
    "    regionendpoint: http://127.0.0.1:9000\n"
    "    bucket: registry\n";

std::string Minio(const std::string& extra) { return kMinio + extra; }

// -- filesystem ---------------------------------------------------------------

TEST_F(RegistryConfigTest, FilesystemRoot) {
  StorageLocation location;
  ASSERT_TRUE(Read("storage:\n  filesystem:\n    rootdirectory: /srv/reg\n"
                   "  delete:\n    enabled: true\n",
                   &location)
                  .ok());
  EXPECT_EQ(location.driver, Driver::kFilesystem);
  EXPECT_EQ(location.root, "/srv/reg");

  std::string root;
  ASSERT_TRUE(ReadStorageRoot(path_, &root).ok());
  EXPECT_EQ(root, "/srv/reg");
}

TEST_F(RegistryConfigTest, FilesystemDefaultRoot) {
  StorageLocation location;
  ASSERT_TRUE(Read("storage:\n  filesystem:\n", &location).ok());
  EXPECT_EQ(location.root, "/var/lib/registry");
  ASSERT_TRUE(Read("storage: filesystem\n", &location).ok());
  EXPECT_EQ(location.root, "/var/lib/registry");
}

TEST_F(RegistryConfigTest, FilesystemRootFromTheEnvironment) {
  Env("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/from/env");
  StorageLocation location;
  ASSERT_TRUE(
      Read("storage:\n  filesystem:\n    rootdirectory: /srv/reg\n", &location)
          .ok());
  EXPECT_EQ(location.root, "/from/env");
  // With no storage section at all, the variable makes one.
  ASSERT_TRUE(Read("log:\n  level: info\n", &location).ok());
  EXPECT_EQ(location.root, "/from/env");
}

TEST_F(RegistryConfigTest, FilesystemEmptyRootRefused) {
  EXPECT_NE(Refused("storage:\n  filesystem:\n    rootdirectory: \"\"\n")
                .find("storage.filesystem.rootdirectory is empty"),
            std::string::npos);
}

TEST_F(RegistryConfigTest, ReadStorageRootRefusesS3) {
  std::ofstream(path_) << kAws;
  std::string root;
  Status s = ReadStorageRoot(path_, &root);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("s3"), std::string::npos) << s.ToString();
}

// -- s3 -----------------------------------------------------------------------

TEST_F(RegistryConfigTest, S3OnAws) {
  const storage::s3::S3Location s3 = S3(kAws);
  EXPECT_EQ(s3.bucket, "registry-store");
  EXPECT_EQ(s3.root, "prod/registry");
  EXPECT_EQ(s3.region, "eu-west-1");
  EXPECT_EQ(s3.endpoint, "");  // AWS's, https
  EXPECT_FALSE(s3.path_style);
  EXPECT_TRUE(s3.verify_tls);
  EXPECT_EQ(s3.credentials.access_key, "AKIAFILE");
  EXPECT_EQ(s3.credentials.secret_key, "filesecret");
  EXPECT_EQ(s3.credentials.session_token, "");
  EXPECT_EQ(s3.credentials.source, "storage.s3.accesskey of " + path_);
}

TEST_F(RegistryConfigTest, S3RootDirectoryForms) {
  const std::string base =
      "storage:\n  s3:\n    region: us-east-1\n    bucket: abc\n";
  EXPECT_EQ(S3(base).root, "");
  EXPECT_EQ(S3(base + "    rootdirectory: /\n").root, "");
  EXPECT_EQ(S3(base + "    rootdirectory: a//b/\n").root, "a/b");
  EXPECT_NE(Refused(base + "    rootdirectory: /a/../b\n")
                .find("storage.s3.rootdirectory"),
            std::string::npos);
}

TEST_F(RegistryConfigTest, S3RegionEndpointMeansPathStyle) {
  const storage::s3::S3Location s3 = S3(kMinio);
  EXPECT_EQ(s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(s3.path_style);
  EXPECT_EQ(s3.credentials.access_key, "minio");
}

TEST_F(RegistryConfigTest, S3RegionEndpointForms) {
  const std::string base =
      "storage:\n  s3:\n    region: default\n    bucket: abc\n";
  EXPECT_EQ(S3(base + "    regionendpoint: http://rgw:7480/\n").endpoint,
            "http://rgw:7480");
  EXPECT_EQ(S3(base + "    regionendpoint: HTTPS://rgw.example\n").endpoint,
            "https://rgw.example");
  // No scheme: secure picks it.
  EXPECT_EQ(S3(base + "    regionendpoint: minio:9000\n").endpoint,
            "https://minio:9000");
  EXPECT_EQ(S3(base + "    regionendpoint: minio:9000\n    secure: false\n")
                .endpoint,
            "http://minio:9000");
  // A scheme given wins over secure, as the SDK only adds a missing one.
  EXPECT_EQ(S3(base + "    regionendpoint: https://minio:9000\n"
                      "    secure: false\n")
                .endpoint,
            "https://minio:9000");
  EXPECT_NE(Refused(base + "    regionendpoint: http://rgw:7480/prefix\n")
                .find("storage.s3.regionendpoint"),
            std::string::npos);
  EXPECT_NE(Refused(base + "    regionendpoint: ftp://rgw\n")
                .find("storage.s3.regionendpoint"),
            std::string::npos);
}

TEST_F(RegistryConfigTest, S3SecureFalseGivesHttp) {
  storage::s3::S3Location s3 = S3(std::string(kAws) + "    secure: false\n");
  EXPECT_EQ(s3.endpoint, "http://s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(s3.path_style);
  s3 = S3(std::string(kAws) + "    secure: \"false\"\n");
  EXPECT_EQ(s3.endpoint, "http://s3.eu-west-1.amazonaws.com");
  // yaml.v2 takes YAML 1.1's booleans.
  s3 = S3(std::string(kAws) + "    secure: off\n");
  EXPECT_EQ(s3.endpoint, "http://s3.eu-west-1.amazonaws.com");
  s3 = S3(std::string(kAws) + "    secure: \"true\"\n");
  EXPECT_EQ(s3.endpoint, "");
}

TEST_F(RegistryConfigTest, S3RefusesWhatIsNotABoolean) {
  // An integer is not one to the driver; a quoted "yes" is a string
  // strconv.ParseBool refuses.
  for (const char* value : {"1", "\"yes\"", "maybe", "[true]"}) {
    const std::string message =
        Refused(std::string(kAws) + "    secure: " + value + "\n");
    EXPECT_NE(message.find("storage.s3.secure"), std::string::npos)
        << message;
  }
}

TEST_F(RegistryConfigTest, S3DottedBucketOnAwsIsPathStyle) {
  const std::string config =
      "storage:\n  s3:\n    region: us-west-2\n    bucket: my.registry\n";
  EXPECT_TRUE(S3(config).path_style);
  // Over http the certificate does not matter: virtual-hosted.
  EXPECT_FALSE(S3(config + "    secure: false\n").path_style);
}

TEST_F(RegistryConfigTest, S3SkipVerify) {
  EXPECT_FALSE(S3(Minio("    skipverify: true\n")).verify_tls);
  EXPECT_FALSE(S3(Minio("    skipverify: \"1\"\n")).verify_tls);
  EXPECT_TRUE(S3(Minio("    skipverify: false\n")).verify_tls);
}

TEST_F(RegistryConfigTest, S3V4AuthFalseRefused) {
  for (const char* value : {"false", "\"false\"", "no"}) {
    const std::string message =
        Refused(Minio(std::string("    v4auth: ") + value + "\n"));
    EXPECT_NE(message.find("storage.s3.v4auth"), std::string::npos) << message;
    EXPECT_NE(message.find("v4auth: true"), std::string::npos) << message;
  }
  EXPECT_TRUE(S3(Minio("    v4auth: true\n")).path_style);
}

TEST_F(RegistryConfigTest, S3MissingBucketOrRegionRefused) {
  std::string message =
      Refused("storage:\n  s3:\n    region: us-east-1\n    bucket: \"\"\n");
  EXPECT_NE(message.find("storage.s3.bucket is not set"), std::string::npos)
      << message;
  message = Refused("storage:\n  s3:\n    bucket: abc\n");
  EXPECT_NE(message.find("storage.s3.region is not set"), std::string::npos)
      << message;
  message = Refused("storage:\n  s3:\n    bucket: abc\n    region:\n");
  EXPECT_NE(message.find("storage.s3.region is not set"), std::string::npos)
      << message;
  message = Refused("storage:\n  s3:\n");
  EXPECT_NE(message.find("is not set"), std::string::npos) << message;
}

TEST_F(RegistryConfigTest, S3BadBucketRefused) {
  std::string message =
      Refused("storage:\n  s3:\n    region: us-east-1\n    bucket: My_Bucket\n");
  EXPECT_NE(message.find("storage.s3.bucket"), std::string::npos) << message;
  message = Refused(
      "storage:\n  s3:\n    region: us-east-1\n    bucket: abc/prefix\n");
  EXPECT_NE(message.find("rootdirectory"), std::string::npos) << message;
}

TEST_F(RegistryConfigTest, S3RegionMustBeAwssWithoutEndpoint) {
  const std::string message =
      Refused("storage:\n  s3:\n    region: default\n    bucket: abc\n");
  EXPECT_NE(message.find("storage.s3.region 'default'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("storage.s3.regionendpoint"), std::string::npos)
      << message;
  EXPECT_EQ(S3("storage:\n  s3:\n    region: us-gov-west-1\n    bucket: abc\n")
                .region,
            "us-gov-west-1");
}

TEST_F(RegistryConfigTest, S3OtherNameS3aws) {
  const storage::s3::S3Location s3 = S3(
      "storage:\n  s3aws:\n    region: us-east-1\n    bucket: abc\n");
  EXPECT_EQ(s3.bucket, "abc");
}

// Settings only writes need are not read, nor checked.
TEST_F(RegistryConfigTest, S3IgnoresWriteSettings) {
  const storage::s3::S3Location s3 = S3(Minio(
      "    encrypt: maybe\n    keyid: k\n    chunksize: 1\n"
      "    multipartcopychunksize: x\n    multipartcopymaxconcurrency: 0\n"
      "    multipartcopythresholdsize: -1\n    storageclass: GLACIER\n"
      "    objectacl: nonsense\n    useragent: ua\n"
      // distribution 3.0's; 2.8.2 makes path-style requests regardless.
      "    forcepathstyle: false\n"));
  EXPECT_TRUE(s3.path_style);
}

// Settings are case-sensitive in the registry: this one it does not read.
TEST_F(RegistryConfigTest, S3SettingNamesAreCaseSensitive) {
  const storage::s3::S3Location s3 =
      S3("storage:\n  s3:\n    region: us-east-1\n    bucket: abc\n"
         "    regionEndpoint: http://127.0.0.1:9000\n");
  EXPECT_EQ(s3.endpoint, "");
}

// As Go prints what yaml.v2 decoded.
TEST_F(RegistryConfigTest, S3ScalarsAsGoPrintsThem) {
  const std::string base =
      "storage:\n  s3:\n    region: us-east-1\n    bucket: abc\n";
  const std::pair<const char*, const char*> cases[] = {
      {"012", "10"},       {"0x1F", "31"},   {"1_000", "1000"},
      {"\"012\"", "012"},  {"'0x1F'", "0x1F"}, {"1e6", "1e+06"},
      {"2.50", "2.5"},     {"123456.0", "123456"}, {"yes", "true"},
      {"1234567.0", "1.234567e+06"}, {"08", "8"}, {"2001-12-14", "2001-12-14"},
      {"-0", "0"},         {"+12", "12"},
  };
  for (const auto& [written, read] : cases) {
    const storage::s3::S3Location s3 =
        S3(base + "    accesskey: " + written + "\n    secretkey: s\n");
    EXPECT_EQ(s3.credentials.access_key, read) << written;
  }
}

// -- credentials from the AWS environment -------------------------------------

TEST_F(RegistryConfigTest, S3CredentialsFromTheAwsEnvironment) {
  Env("AWS_ACCESS_KEY_ID", "AKIAENV");
  Env("AWS_SECRET_ACCESS_KEY", "envsecret");
  Env("AWS_SESSION_TOKEN", "envtoken");
  storage::s3::S3Location s3 =
      S3("storage:\n  s3:\n    region: us-east-1\n    bucket: abc\n");
  EXPECT_EQ(s3.credentials.access_key, "AKIAENV");
  EXPECT_EQ(s3.credentials.session_token, "envtoken");
  EXPECT_EQ(s3.credentials.source, "AWS_ACCESS_KEY_ID from the environment");

  // The config's keys win, without the environment's session token.
  s3 = S3(kAws);
  EXPECT_EQ(s3.credentials.access_key, "AKIAFILE");
  EXPECT_EQ(s3.credentials.session_token, "");

  // One key alone is ignored, as the SDK's chain ignores it.
  s3 = S3("storage:\n  s3:\n    region: us-east-1\n    bucket: abc\n"
          "    accesskey: lonely\n");
  EXPECT_EQ(s3.credentials.access_key, "AKIAENV");
}

TEST_F(RegistryConfigTest, S3CredentialsFromTheSharedFile) {
  fs::create_directories(dir_ + "/.aws");
  std::ofstream(dir_ + "/.aws/credentials")
      << "[registry]\naws_access_key_id = AKIAPROFILE\n"
         "aws_secret_access_key = profilesecret\n";
  Env("AWS_PROFILE", "registry");
  Env("AWS_CA_BUNDLE", "/etc/ssl/rgw.pem");
  const storage::s3::S3Location s3 = S3(kMinio + std::string() +
                                        "    accesskey: \"\"\n");
  EXPECT_EQ(s3.credentials.access_key, "AKIAPROFILE");
  EXPECT_EQ(s3.credentials.source,
            "profile 'registry' of " + dir_ + "/.aws/credentials");
  EXPECT_EQ(s3.ca_bundle, "/etc/ssl/rgw.pem");
}

// 2.8.2's SDK reads neither: the config's region and endpoint stand.
TEST_F(RegistryConfigTest, S3IgnoresAwsRegionAndEndpointVariables) {
  Env("AWS_REGION", "ap-south-1");
  Env("AWS_ENDPOINT_URL", "http://elsewhere:9000");
  const storage::s3::S3Location s3 = S3(kAws);
  EXPECT_EQ(s3.region, "eu-west-1");
  EXPECT_EQ(s3.endpoint, "");
}

// -- REGISTRY_STORAGE* overrides ----------------------------------------------

TEST_F(RegistryConfigTest, S3EnvironmentOverrides) {
  Env("REGISTRY_STORAGE_S3_ACCESSKEY", "AKIAOVERRIDE");
  Env("REGISTRY_STORAGE_S3_SECRETKEY", "overridesecret");
  Env("REGISTRY_STORAGE_S3_BUCKET", "other-bucket");
  Env("REGISTRY_STORAGE_S3_REGIONENDPOINT", "rgw.local:7480");
  Env("REGISTRY_STORAGE_S3_SECURE", "false");
  Env("REGISTRY_STORAGE_S3_ROOTDIRECTORY", "/env-root");
  const storage::s3::S3Location s3 = S3(kAws);
  EXPECT_EQ(s3.bucket, "other-bucket");
  EXPECT_EQ(s3.root, "env-root");
  EXPECT_EQ(s3.endpoint, "http://rgw.local:7480");
  EXPECT_TRUE(s3.path_style);
  EXPECT_EQ(s3.credentials.access_key, "AKIAOVERRIDE");
  EXPECT_EQ(s3.credentials.secret_key, "overridesecret");
  EXPECT_EQ(s3.credentials.source, "REGISTRY_STORAGE_S3_ACCESSKEY");
}

TEST_F(RegistryConfigTest, S3EnvironmentMessagesNameTheVariable) {
  Env("REGISTRY_STORAGE_S3_V4AUTH", "false");
  std::string message = Refused(kAws);
  EXPECT_NE(message.find("REGISTRY_STORAGE_S3_V4AUTH (storage.s3.v4auth)"),
            std::string::npos)
      << message;
  // An empty value is YAML's null: the setting is unset.
  unsetenv("REGISTRY_STORAGE_S3_V4AUTH");
  Env("REGISTRY_STORAGE_S3_REGION", "");
  message = Refused(kAws);
  EXPECT_NE(message.find("REGISTRY_STORAGE_S3_REGION (storage.s3.region) is "
                         "not set"),
            std::string::npos)
      << message;
}

// REGISTRY_STORAGE replaces the section; the variables below it, sorted
// after it, then fill it in.
TEST_F(RegistryConfigTest, RegistryStorageSwitchesTheDriver) {
  Env("REGISTRY_STORAGE", "s3");
  Env("REGISTRY_STORAGE_S3_REGION", "us-east-1");
  Env("REGISTRY_STORAGE_S3_BUCKET", "from-env");
  const storage::s3::S3Location s3 =
      S3("storage:\n  filesystem:\n    rootdirectory: /srv/reg\n");
  EXPECT_EQ(s3.bucket, "from-env");
}

TEST_F(RegistryConfigTest, AVariableForAnotherDriverMakesTwo) {
  Env("REGISTRY_STORAGE_S3_BUCKET", "abc");
  const std::string message =
      Refused("storage:\n  filesystem:\n    rootdirectory: /srv/reg\n");
  EXPECT_NE(message.find("more than one storage driver (filesystem, s3)"),
            std::string::npos)
      << message;
}

// -- refused configs ----------------------------------------------------------

TEST_F(RegistryConfigTest, OtherDriversRefused) {
  for (const char* driver : {"azure", "gcs", "swift", "oss", "inmemory", "S3"}) {
    const std::string message =
        Refused(std::string("storage:\n  ") + driver + ":\n    x: y\n");
    EXPECT_NE(message.find(std::string("storage driver '") + driver +
                           "' is not supported; regsweep works on "
                           "filesystem and s3 stores"),
              std::string::npos)
        << message;
  }
}

TEST_F(RegistryConfigTest, AzureConfigRefused) {
  const std::string message = Refused(
      "storage:\n  azure:\n    accountname: acct\n    accountkey: key\n"
      "    container: registry\n  cache:\n    blobdescriptor: inmemory\n");
  EXPECT_NE(message.find("'azure' is not supported"), std::string::npos)
      << message;
}

TEST_F(RegistryConfigTest, TwoDriversOrNoneRefused) {
  EXPECT_NE(Refused("storage:\n  filesystem:\n  s3:\n    bucket: abc\n")
                .find("more than one storage driver"),
            std::string::npos);
  EXPECT_NE(Refused("storage:\n  delete:\n    enabled: true\n")
                .find("has no storage driver"),
            std::string::npos);
  EXPECT_NE(Refused("log:\n  level: info\n").find("has no storage driver"),
            std::string::npos);
  EXPECT_NE(Refused("storage:\n  s3: [a, b]\n").find("storage.s3"),
            std::string::npos);
}

TEST_F(RegistryConfigTest, UnreadableOrNotYamlRefused) {
  StorageLocation location;
  Status s = ReadStorageLocation(dir_ + "/missing.yml", &location);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("missing.yml"), std::string::npos);
  EXPECT_NE(Refused("storage: [unclosed\n").find("not valid YAML"),
            std::string::npos);
}

}  // namespace
}  // namespace regsweep::cli
