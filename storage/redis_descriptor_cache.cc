// The registry's Redis blob-descriptor cache (see descriptor_cache.h),
// through hiredis.
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <mutex>

#include "storage/descriptor_cache.h"

namespace regsweep::storage {
namespace {

// Commands sent before their answers are read: enough to hide the round
// trip, few enough that the answers stay small.
constexpr size_t kPipelineDepth = 512;

// One command: its words.
using Command = std::vector<std::string>;

class RedisDescriptorCache final : public DescriptorCache {
 public:
  explicit RedisDescriptorCache(RedisAddress address)
      : address_(std::move(address)) {}
  ~RedisDescriptorCache() override {
    if (context_ != nullptr) redisFree(context_);
  }

  Status Check() override {
    std::lock_guard<std::mutex> lock(mu_);
    return RunLocked({{"PING"}});
  }

  Status ForgetBlobs(const std::vector<Digest>& blobs) override {
    std::vector<Command> commands;
    for (const Digest& blob : blobs) {
      commands.push_back({"DEL", "blobs::" + blob.str()});
    }
    std::lock_guard<std::mutex> lock(mu_);
    return RunLocked(commands);
  }

  Status ForgetLinks(const std::string& repository,
                     const std::vector<Digest>& digests) override {
    if (digests.empty()) return Status::OK();
    const std::string set = "repository::" + repository + "::blobs";
    std::vector<Command> commands;
    Command remove = {"SREM", set};
    for (const Digest& digest : digests) {
      remove.push_back(digest.str());
      commands.push_back({"DEL", set + "::" + digest.str()});
    }
    commands.push_back(std::move(remove));
    std::lock_guard<std::mutex> lock(mu_);
    return RunLocked(commands);
  }

  std::string Describe() const override {
    return "redis " + address_.host + ":" + std::to_string(address_.port) +
           " db " + std::to_string(address_.db);
  }

 private:
  Status Failure(const std::string& why) const {
    return Status::IOError("the registry's blob-descriptor cache (" +
                               Describe() + ")",
                           why);
  }

  // Connects (once), authenticates and selects the database. Requires mu_.
  Status ConnectLocked() {
    if (context_ != nullptr) return Status::OK();
    timeval timeout{};
    timeout.tv_sec = address_.timeout_ms / 1000;
    timeout.tv_usec = (address_.timeout_ms % 1000) * 1000;
    context_ =
        redisConnectWithTimeout(address_.host.c_str(), address_.port, timeout);
    if (context_ == nullptr) return Failure("out of memory");
    if (context_->err != 0) {
      Status s = Failure(std::string("cannot connect: ") + context_->errstr);
      redisFree(context_);
      context_ = nullptr;
      return s;
    }
    redisSetTimeout(context_, timeout);
    std::vector<Command> setup;
    if (!address_.password.empty()) {
      setup.push_back(address_.username.empty()
                          ? Command{"AUTH", address_.password}
                          : Command{"AUTH", address_.username,
                                    address_.password});
    }
    if (address_.db != 0) setup.push_back({"SELECT", std::to_string(address_.db)});
    Status s = SendLocked(setup);
    if (!s.ok()) {
      redisFree(context_);
      context_ = nullptr;
    }
    return s;
  }

  // Runs `commands` on the connection, pipelined. Requires mu_.
  Status RunLocked(const std::vector<Command>& commands) {
    Status s = ConnectLocked();
    if (s.ok()) s = SendLocked(commands);
    if (!s.ok() && context_ != nullptr) {
      redisFree(context_);  // a broken connection is not reused
      context_ = nullptr;
    }
    return s;
  }

  // Sends `commands` in groups of kPipelineDepth, checking every answer.
  Status SendLocked(const std::vector<Command>& commands) {
    for (size_t start = 0; start < commands.size(); start += kPipelineDepth) {
      const size_t end = std::min(commands.size(), start + kPipelineDepth);
      for (size_t i = start; i < end; ++i) {
        std::vector<const char*> argv;
        std::vector<size_t> lengths;
        for (const std::string& word : commands[i]) {
          argv.push_back(word.data());
          lengths.push_back(word.size());
        }
        if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()),
                                   argv.data(), lengths.data()) != REDIS_OK) {
          return Failure(std::string("cannot send: ") + context_->errstr);
        }
      }
      for (size_t i = start; i < end; ++i) {
        void* answer = nullptr;
        if (redisGetReply(context_, &answer) != REDIS_OK) {
          return Failure(std::string("no answer: ") + context_->errstr);
        }
        auto* reply = static_cast<redisReply*>(answer);
        std::string error;
        if (reply->type == REDIS_REPLY_ERROR) {
          error = std::string(reply->str, reply->len);
        }
        freeReplyObject(reply);
        if (!error.empty()) {
          return Failure(commands[i][0] + " was refused: " + error);
        }
      }
    }
    return Status::OK();
  }

  const RedisAddress address_;
  std::mutex mu_;
  redisContext* context_ = nullptr;  // guarded by mu_
};

}  // namespace

std::unique_ptr<DescriptorCache> NewRedisDescriptorCache(
    const RedisAddress& address) {
  return std::make_unique<RedisDescriptorCache>(address);
}

}  // namespace regsweep::storage
