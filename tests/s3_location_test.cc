// Where an S3 store is (storage/s3/s3_location.h): s3:// URLs, the AWS
// environment and shared credentials file, AWS's endpoints. Each test runs
// with the AWS variables cleared and HOME in a scratch directory, and puts
// the environment back afterwards.
#include "storage/s3/s3_location.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

namespace regsweep::storage::s3 {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAwsVariables[] = {
    "AWS_REGION",          "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",   "AWS_ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY",
    "AWS_SESSION_TOKEN",   "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_PROFILE",         "AWS_CA_BUNDLE",
    "HOME"};

class S3LocationEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kAwsVariables) {
      const char* value = getenv(name);
      saved_[name] = value == nullptr ? std::nullopt
                                      : std::optional<std::string>(value);
      unsetenv(name);
    }
    char scratch[] = "/tmp/s3_location_test.XXXXXX";
    ASSERT_NE(mkdtemp(scratch), nullptr);
    home_ = scratch;
    setenv("HOME", home_.c_str(), 1);
  }

  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
    fs::remove_all(home_);
  }

  // Writes ~/.aws/credentials (or `path`, under HOME).
  std::string WriteCredentials(const std::string& text,
                               const std::string& path = ".aws/credentials") {
    const fs::path file = fs::path(home_) / path;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }

  std::string home_;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST(S3LocationUrlTest, RecognizesS3Urls) {
  EXPECT_TRUE(IsS3Url("s3://bucket"));
  EXPECT_TRUE(IsS3Url("S3://bucket/root"));
  // Malformed, but meant as S3: ParseS3Url says what is wrong.
  EXPECT_TRUE(IsS3Url("s3:/bucket"));
  EXPECT_FALSE(IsS3Url("/var/lib/registry"));
  EXPECT_FALSE(IsS3Url("s3"));
  EXPECT_FALSE(IsS3Url("./s3://bucket"));
  EXPECT_FALSE(IsS3Url(""));
}

TEST(S3LocationUrlTest, TellsAwsEndpointsFromOthers) {
  EXPECT_TRUE(IsAwsEndpoint(""));
  EXPECT_TRUE(IsAwsEndpoint("https://s3.eu-west-1.amazonaws.com"));
  EXPECT_TRUE(IsAwsEndpoint("https://S3.AmazonAWS.com:443"));
  EXPECT_TRUE(IsAwsEndpoint("https://s3.cn-north-1.amazonaws.com.cn"));
  EXPECT_FALSE(IsAwsEndpoint("http://127.0.0.1:7480"));
  EXPECT_FALSE(IsAwsEndpoint("https://notamazonaws.com"));
  EXPECT_FALSE(IsAwsEndpoint("https://amazonaws.com.example.org"));
}

TEST(S3LocationUrlTest, ParsesBucketAndRoot) {
  S3Location location;
  ASSERT_TRUE(ParseS3Url("s3://my-bucket", &location).ok());
  EXPECT_EQ(location.bucket, "my-bucket");
  EXPECT_EQ(location.root, "");

  ASSERT_TRUE(ParseS3Url("s3://my.bucket.01/registry/v2x/", &location).ok());
  EXPECT_EQ(location.bucket, "my.bucket.01");
  EXPECT_EQ(location.root, "registry/v2x");

  ASSERT_TRUE(ParseS3Url("S3://abc//a//b///", &location).ok());
  EXPECT_EQ(location.bucket, "abc");
  EXPECT_EQ(location.root, "a/b");

  ASSERT_TRUE(ParseS3Url("s3://abc/", &location).ok());
  EXPECT_EQ(location.root, "");
}

TEST(S3LocationUrlTest, LeavesTheRestOfTheLocationAlone) {
  S3Location location;
  location.endpoint = "http://127.0.0.1:7480";
  location.region = "eu-west-1";
  ASSERT_TRUE(ParseS3Url("s3://bucket/root", &location).ok());
  EXPECT_EQ(location.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(location.region, "eu-west-1");
}

// Each bad URL, and a word of why.
TEST(S3LocationUrlTest, RefusesBadUrls) {
  const std::pair<const char*, const char*> cases[] = {
      {"s3://", "no bucket"},
      {"s3:///root", "no bucket"},
      {"s3:/bucket", "s3://BUCKET"},
      {"s3:bucket", "s3://BUCKET"},
      {"s3://ab", "3 to 63"},
      {"s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       "3 to 63"},
      {"s3://My-Bucket", "'M'"},
      {"s3://my_bucket", "'_'"},
      {"s3://my bucket", "' '"},
      {"s3://-bucket", "start and end"},
      {"s3://bucket-", "start and end"},
      {"s3://bucket.", "start and end"},
      {"s3://my..bucket", "two periods"},
      {"s3://192.168.1.10", "IP address"},
      {"s3://bucket/a/../b", "'..'"},
      {"s3://bucket/./a", "'.'"},
      {"s3://bucket/a/..", "'..'"},
  };
  for (const auto& [url, why] : cases) {
    S3Location location;
    Status s = ParseS3Url(url, &location);
    EXPECT_TRUE(s.IsInvalidArgument()) << url;
    EXPECT_NE(s.message().find(url), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(why), std::string::npos) << s.ToString();
  }
}

TEST(S3LocationUrlTest, TakesWhatS3Takes) {
  for (const char* url : {"s3://abc", "s3://a-b.c-d", "s3://1.2.3",
                          "s3://192.168.1.10x", "s3://0-0",
                          "s3://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                          "aaaaaaaaaaaaaaaaa"}) {
    S3Location location;
    EXPECT_TRUE(ParseS3Url(url, &location).ok()) << url;
  }
}

TEST(S3LocationEndpointTest, AwsEndpointForTheRegion) {
  S3Location location;
  EXPECT_EQ(EffectiveEndpoint(location), "https://s3.us-east-1.amazonaws.com");
  location.region = "eu-central-1";
  EXPECT_EQ(EffectiveEndpoint(location),
            "https://s3.eu-central-1.amazonaws.com");
  location.region = "cn-north-1";
  EXPECT_EQ(EffectiveEndpoint(location),
            "https://s3.cn-north-1.amazonaws.com.cn");
  location.endpoint = "http://127.0.0.1:9000";
  EXPECT_EQ(EffectiveEndpoint(location), "http://127.0.0.1:9000");
}

TEST_F(S3LocationEnvTest, RegionFromAwsRegionThenDefaultRegion) {
  S3Location location;
  setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.region, "eu-west-1");

  setenv("AWS_REGION", "ap-south-1", 1);
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.region, "ap-south-1");

  // A region the user gave wins.
  location.region = "us-west-2";
  ASSERT_TRUE(ApplyAwsEnvironment(true, &location).ok());
  EXPECT_EQ(location.region, "us-west-2");
}

TEST_F(S3LocationEnvTest, NoRegionInTheEnvironmentKeepsTheDefault) {
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.region, "us-east-1");
  EXPECT_EQ(location.endpoint, "");
  EXPECT_EQ(location.credentials.access_key, "");
  EXPECT_EQ(location.ca_bundle, "");
}

TEST_F(S3LocationEnvTest, EndpointFromS3VariableThenGeneral) {
  setenv("AWS_ENDPOINT_URL", "http://general:9000", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.endpoint, "http://general:9000");

  setenv("AWS_ENDPOINT_URL_S3", "HTTP://s3only:7480/", 1);
  location.endpoint.clear();
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.endpoint, "http://s3only:7480");

  // One given already stays.
  location.endpoint = "https://given";
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.endpoint, "https://given");
}

TEST_F(S3LocationEnvTest, EndpointWithoutSchemeIsHttps) {
  setenv("AWS_ENDPOINT_URL", "minio.local:9000", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.endpoint, "https://minio.local:9000");
}

TEST_F(S3LocationEnvTest, RefusesEndpointsThatAreNotHostAndPort) {
  for (const char* url : {"http://host:9000/prefix", "ftp://host", "http://",
                          "https:///x"}) {
    setenv("AWS_ENDPOINT_URL", url, 1);
    S3Location location;
    Status s = ApplyAwsEnvironment(false, &location);
    EXPECT_TRUE(s.IsInvalidArgument()) << url;
    EXPECT_NE(s.message().find("AWS_ENDPOINT_URL"), std::string::npos)
        << s.ToString();
  }
}

TEST_F(S3LocationEnvTest, CaBundleFromTheEnvironment) {
  setenv("AWS_CA_BUNDLE", "~/ca.pem", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.ca_bundle, home_ + "/ca.pem");

  location.ca_bundle = "/given.pem";
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.ca_bundle, "/given.pem");
}

TEST_F(S3LocationEnvTest, CredentialsFromTheEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  setenv("AWS_SESSION_TOKEN", "envtoken", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "AKIAENV");
  EXPECT_EQ(location.credentials.secret_key, "envsecret");
  EXPECT_EQ(location.credentials.session_token, "envtoken");
  EXPECT_EQ(location.credentials.source,
            "AWS_ACCESS_KEY_ID from the environment");
}

// The older names the AWS SDK for Go still reads.
TEST_F(S3LocationEnvTest, CredentialsFromTheOlderVariableNames) {
  setenv("AWS_ACCESS_KEY", "AKIAOLD", 1);
  setenv("AWS_SECRET_KEY", "oldsecret", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "AKIAOLD");
  EXPECT_EQ(location.credentials.secret_key, "oldsecret");
  EXPECT_EQ(location.credentials.session_token, "");
  EXPECT_EQ(location.credentials.source, "AWS_ACCESS_KEY from the environment");
}

TEST_F(S3LocationEnvTest, RefusesHalfAKeyPair) {
  setenv("AWS_SECRET_ACCESS_KEY", "lonelysecret", 1);
  S3Location location;
  Status s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_EQ(s.message().find("lonelysecret"), std::string::npos);

  unsetenv("AWS_SECRET_ACCESS_KEY");
  setenv("AWS_ACCESS_KEY_ID", "AKIA", 1);
  s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST_F(S3LocationEnvTest, GivenCredentialsStay) {
  setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  S3Location location;
  location.credentials.access_key = "given";
  location.credentials.secret_key = "givensecret";
  location.credentials.source = "flags";
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "given");
  EXPECT_EQ(location.credentials.source, "flags");
}

TEST_F(S3LocationEnvTest, EnvironmentBeatsTheCredentialsFile) {
  WriteCredentials("[default]\naws_access_key_id = AKIAFILE\n"
                   "aws_secret_access_key = filesecret\n");
  setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "AKIAENV");
}

TEST_F(S3LocationEnvTest, CredentialsFileDefaultProfile) {
  const std::string path = WriteCredentials(
      "# AWS credentials\n"
      "; another comment\n"
      "\n"
      "[other]\n"
      "aws_access_key_id = AKIAOTHER\n"
      "aws_secret_access_key = othersecret\n"
      "\n"
      "  [ default ]  \n"
      "  aws_access_key_id=AKIADEFAULT   \n"
      "\tAWS_Secret_Access_Key :   defaultsecret  # inline comment\n"
      "aws_session_token = \"tok/en+==\"\r\n"
      "region = eu-west-1 ; not read here\n");
  S3Location location;
  Status s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(location.credentials.access_key, "AKIADEFAULT");
  EXPECT_EQ(location.credentials.secret_key, "defaultsecret");
  EXPECT_EQ(location.credentials.session_token, "tok/en+==");
  EXPECT_EQ(location.credentials.source, "profile 'default' of " + path);
  // The credentials file is not where the region comes from.
  EXPECT_EQ(location.region, "us-east-1");
}

TEST_F(S3LocationEnvTest, CredentialsFileNamedProfile) {
  const std::string path = WriteCredentials(
      "[default]\naws_access_key_id = AKIADEFAULT\n"
      "aws_secret_access_key = defaultsecret\n"
      "[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = cisecret\n");
  setenv("AWS_PROFILE", "ci", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "AKIACI");
  EXPECT_EQ(location.credentials.secret_key, "cisecret");
  EXPECT_EQ(location.credentials.session_token, "");
  EXPECT_EQ(location.credentials.source, "profile 'ci' of " + path);
}

TEST_F(S3LocationEnvTest, LaterKeysAndSectionsAddUp) {
  WriteCredentials("[default]\naws_access_key_id = OLD\n"
                   "[other]\nx = y\n"
                   "[default]\naws_access_key_id = NEW\n"
                   "aws_secret_access_key = secret\n");
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "NEW");
  EXPECT_EQ(location.credentials.secret_key, "secret");
}

TEST_F(S3LocationEnvTest, SharedCredentialsFileVariableWithTilde) {
  const std::string path = WriteCredentials(
      "[default]\naws_access_key_id = AKIAELSEWHERE\n"
      "aws_secret_access_key = secret\n",
      "elsewhere/creds");
  setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds", 1);
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "AKIAELSEWHERE");
  EXPECT_EQ(location.credentials.source, "profile 'default' of " + path);
}

TEST_F(S3LocationEnvTest, NoCredentialsFileIsNoCredentials) {
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "");
  EXPECT_EQ(location.credentials.source, "");
}

TEST_F(S3LocationEnvTest, DefaultProfileMissingIsNoCredentials) {
  WriteCredentials("[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
  S3Location location;
  ASSERT_TRUE(ApplyAwsEnvironment(false, &location).ok());
  EXPECT_EQ(location.credentials.access_key, "");
}

TEST_F(S3LocationEnvTest, RefusesANamedFileThatIsNotThere) {
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/creds", 1);
  S3Location location;
  Status s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("/nonexistent/creds"), std::string::npos);
  EXPECT_NE(s.message().find("AWS_SHARED_CREDENTIALS_FILE"), std::string::npos);
}

TEST_F(S3LocationEnvTest, RefusesANamedProfileThatIsNotThere) {
  WriteCredentials("[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
  setenv("AWS_PROFILE", "prod", 1);
  S3Location location;
  Status s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("'prod'"), std::string::npos) << s.ToString();
}

TEST_F(S3LocationEnvTest, RefusesAProfileWithHalfAKeyPair) {
  WriteCredentials("[default]\naws_access_key_id = AKIAHALF\n");
  S3Location location;
  Status s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("aws_secret_access_key"), std::string::npos)
      << s.ToString();
}

TEST_F(S3LocationEnvTest, RefusesANamedProfileWithoutKeys) {
  WriteCredentials("[sso]\nsso_start_url = https://example\n");
  setenv("AWS_PROFILE", "sso", 1);
  S3Location location;
  Status s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("not supported"), std::string::npos)
      << s.ToString();
}

// The line is named, never shown: it may hold a secret.
TEST_F(S3LocationEnvTest, RefusesAMalformedFileWithoutEchoingIt) {
  WriteCredentials("[default]\naws_access_key_id = A\nsupersecretline\n");
  S3Location location;
  Status s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find("supersecretline"), std::string::npos);

  WriteCredentials("[default\n");
  s = ApplyAwsEnvironment(false, &location);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("line 1"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace regsweep::storage::s3
