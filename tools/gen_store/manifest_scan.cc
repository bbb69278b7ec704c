#include "tools/gen_store/manifest_scan.h"

#include <algorithm>

#include "tools/gen_store/content.h"

namespace regsweep::gen_store {
namespace {

// A cursor over JSON text that can read strings and skip any value. Every
// method returns false on text it cannot follow.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  // Consumes `c` (after white space) if it comes next.
  bool Take(char c) {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // A string's raw text between its quotes (escapes kept as written: the
  // keys and values looked at here have none).
  bool String(std::string_view* out) {
    if (!Take('"')) return false;
    const size_t start = pos_;
    for (; pos_ < text_.size() && text_[pos_] != '"'; ++pos_) {
      if (text_[pos_] == '\\') ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    *out = text_.substr(start, pos_++ - start);
    return true;
  }

  // Skips one value of any type.
  bool Skip() {
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    std::string_view ignored;
    switch (text_[pos_]) {
      case '"':
        return String(&ignored);
      case '{':
        return Members([this](std::string_view) { return Skip(); });
      case '[':
        return Elements([this] { return Skip(); });
      default:  // number, true, false, null
        while (pos_ < text_.size() &&
               std::string_view(",}] \t\r\n").find(text_[pos_]) ==
                   std::string_view::npos) {
          ++pos_;
        }
        return true;
    }
  }

  // An object: member(key) reads (or skips) each member's value.
  template <typename F>
  bool Members(F member) {
    if (!Take('{')) return false;
    if (Take('}')) return true;
    do {
      std::string_view key;
      if (!String(&key) || !Take(':') || !member(key)) return false;
    } while (Take(','));
    return Take('}');
  }

  // An array: element() reads (or skips) each element.
  template <typename F>
  bool Elements(F element) {
    if (!Take('[')) return false;
    if (Take(']')) return true;
    do {
      if (!element()) return false;
    } while (Take(','));
    return Take(']');
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::string_view(" \t\r\n").find(
                                      text_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// An array of descriptors: the digest each names under `key`.
bool ReadDigests(Reader* r, std::string_view key, std::vector<Digest>* out) {
  return r->Elements([&] {
    return r->Members([&](std::string_view k) {
      std::string_view value;
      if (k != key) return r->Skip();
      Digest d;
      if (!r->String(&value) || !Digest::Parse(value, &d)) return false;
      out->push_back(d);
      return true;
    });
  });
}

bool IsOci(std::string_view media_type) {
  return media_type == media_type::kOciManifest ||
         media_type == media_type::kOciIndex;
}

}  // namespace

ManifestScan ScanManifest(std::string_view json) {
  ManifestScan scan;
  Reader r(json);
  std::string_view media_type;
  bool has_layers = false, has_fs_layers = false, has_manifests = false,
       has_subject = false;
  const bool ok = r.Members([&](std::string_view key) {
    if (key == "mediaType") return r.String(&media_type);
    if (key == "layers") {
      has_layers = true;
      return ReadDigests(&r, "digest", &scan.layers);
    }
    if (key == "fsLayers") {
      has_fs_layers = true;
      return ReadDigests(&r, "blobSum", &scan.layers);
    }
    if (key == "manifests") {
      has_manifests = true;
      return ReadDigests(&r, "digest", &scan.children);
    }
    if (key == "subject") has_subject = true;
    return r.Skip();
  });
  if (!ok) return ManifestScan();
  scan.format = IsOci(media_type) ? Format::kOci : Format::kDocker;
  if (has_fs_layers) {
    scan.kind = ManifestKind::kSchema1;
    scan.format = Format::kSchema1;
    // fsLayers lists the top layer first.
    std::reverse(scan.layers.begin(), scan.layers.end());
  } else if (has_manifests) {
    scan.kind = ManifestKind::kIndex;
  } else if (has_layers) {
    scan.kind = has_subject ? ManifestKind::kReferrer : ManifestKind::kImage;
  }
  return scan;
}

}  // namespace regsweep::gen_store
