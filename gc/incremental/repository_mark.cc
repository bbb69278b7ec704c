#include "gc/incremental/repository_mark.h"

#include "index/coding.h"

namespace regsweep::gc {
namespace {

// Layout version: a value in another layout is not reused (re-read).
constexpr uint8_t kLayout = 2;

void PutStrings(std::string* out, const std::vector<std::string>& strings) {
  index::PutVarint64(out, strings.size());
  for (const std::string& s : strings) index::PutLengthPrefixed(out, s);
}

bool GetStrings(std::string_view* in, std::vector<std::string>* strings) {
  uint64_t count;
  if (!index::GetVarint64(in, &count) || count > in->size()) return false;
  strings->resize(count);
  for (std::string& s : *strings) {
    std::string_view view;
    if (!index::GetLengthPrefixed(in, &view)) return false;
    s.assign(view);
  }
  return true;
}

void PutDigests(std::string* out, const std::vector<Digest>& digests) {
  index::PutVarint64(out, digests.size());
  for (const Digest& digest : digests) index::PutDigest(out, digest);
}

bool GetDigests(std::string_view* in, std::vector<Digest>* digests) {
  uint64_t count;
  if (!index::GetVarint64(in, &count) || count > in->size()) return false;
  digests->resize(count);
  for (Digest& digest : *digests) {
    if (!index::GetDigest(in, &digest)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeRepositoryMark(const RepositoryMark& mark) {
  std::string out;
  index::PutByte(&out, kLayout);
  index::PutFixed64(&out, mark.stamp);
  index::PutByte(&out, mark.delete_untagged ? 1 : 0);
  index::PutFixed64(&out, static_cast<uint64_t>(mark.grace_ns));
  index::PutFixed64(&out, static_cast<uint64_t>(mark.valid_until_ns));
  PutStrings(&out, mark.shape.revision_algorithms);
  PutDigests(&out, mark.shape.revisions);
  index::PutByte(&out, mark.shape.with_tags ? 1 : 0);
  PutStrings(&out, mark.shape.tags);
  PutStrings(&out, mark.shape.layer_algorithms);
  index::PutVarint64(&out, mark.marked.size());
  for (uint64_t fingerprint : mark.marked) index::PutFixed64(&out, fingerprint);
  PutDigests(&out, mark.to_delete);
  std::string layers;  // length-prefixed, so a decoder can skip it whole
  PutDigests(&layers, mark.layers);
  index::PutLengthPrefixed(&out, layers);
  return out;
}

bool DecodeRepositoryMark(std::string_view in, RepositoryMark* mark,
                          bool with_layers) {
  uint8_t layout, mode, with_tags;
  uint64_t grace, valid_until, count;
  if (!index::GetByte(&in, &layout) || layout != kLayout ||
      !index::GetFixed64(&in, &mark->stamp) || !index::GetByte(&in, &mode) ||
      !index::GetFixed64(&in, &grace) || !index::GetFixed64(&in, &valid_until)) {
    return false;
  }
  mark->delete_untagged = mode != 0;
  mark->grace_ns = static_cast<int64_t>(grace);
  mark->valid_until_ns = static_cast<int64_t>(valid_until);
  if (!GetStrings(&in, &mark->shape.revision_algorithms) ||
      !GetDigests(&in, &mark->shape.revisions) ||
      !index::GetByte(&in, &with_tags) ||
      !GetStrings(&in, &mark->shape.tags) ||
      !GetStrings(&in, &mark->shape.layer_algorithms) ||
      !index::GetVarint64(&in, &count) || count > in.size() / 8) {
    return false;
  }
  mark->shape.with_tags = with_tags != 0;
  mark->marked.resize(count);
  for (uint64_t& fingerprint : mark->marked) {
    if (!index::GetFixed64(&in, &fingerprint)) return false;
  }
  std::string_view layers;
  if (!GetDigests(&in, &mark->to_delete) ||
      !index::GetLengthPrefixed(&in, &layers) || !in.empty()) {
    return false;
  }
  mark->layers.clear();
  return !with_layers || (GetDigests(&layers, &mark->layers) && layers.empty());
}

}  // namespace regsweep::gc
