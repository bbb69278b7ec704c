#include "storage/quarantine_record.h"

#include <charconv>

#include "storage/registry.h"
#include "util/rfc3339.h"

namespace regsweep::storage {
namespace {

constexpr std::string_view kHeader = "regsweep quarantine record 1";

using Kind = QuarantinedItem::Kind;
constexpr Kind kKinds[] = {Kind::kBlob, Kind::kRevision, Kind::kTagIndexEntry,
                           Kind::kLayerLink, Kind::kTag};

// A line's words, split at single spaces.
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start <= line.size()) {
    size_t space = line.find(' ', start);
    if (space == std::string_view::npos) space = line.size();
    words.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  return words;
}

bool ParseCount(std::string_view text, uint64_t* value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(),
                                      *value);
  return error == std::errc() && end == text.data() + text.size() &&
         !text.empty();
}

std::string OneLine(std::string_view value) {
  std::string line;
  for (char c : value) line += c == '\n' || c == '\r' ? ' ' : c;
  return line;
}

// The item a line after the header names, checked as strictly as the
// registry checks names: a record never names a key outside its kind.
bool ParseItem(const std::vector<std::string_view>& words,
               QuarantinedItem* item) {
  bool known = false;
  for (Kind kind : kKinds) {
    if (words[0] == KindName(kind)) {
      item->kind = kind;
      known = true;
    }
  }
  if (!known) return false;
  auto repository = [&](size_t i) {
    item->repository = words[i];
    return Registry::IsValidRepositoryName(item->repository);
  };
  auto tag = [&](size_t i) {
    item->tag = words[i];
    return Registry::IsValidTagName(item->tag);
  };
  auto digest = [&](size_t i) { return Digest::Parse(words[i], &item->digest); };
  switch (item->kind) {
    case Kind::kBlob:
      return words.size() == 3 && digest(1) && ParseCount(words[2], &item->bytes);
    case Kind::kRevision:
    case Kind::kLayerLink:
      return words.size() == 3 && repository(1) && digest(2);
    case Kind::kTagIndexEntry:
      return words.size() == 4 && repository(1) && tag(2) && digest(3);
    case Kind::kTag:
      return words.size() == 4 && repository(1) && tag(2) &&
             (words[3] == "-" || digest(3));
  }
  return false;
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kBlob: return "blob";
    case Kind::kRevision: return "revision";
    case Kind::kTagIndexEntry: return "tag-index";
    case Kind::kLayerLink: return "layer";
    case Kind::kTag: return "tag";
  }
  return "?";
}

std::string EncodeQuarantineRecord(const QuarantineRecord& record) {
  std::string text(kHeader);
  text += "\nrun " + OneLine(record.run);
  text += "\nstarted " + FormatRfc3339(record.started_ns);
  text += "\ncommand " + OneLine(record.command);
  text += "\nreason " + OneLine(record.reason);
  for (const QuarantinedItem& item : record.items) {
    text += "\n";
    text += KindName(item.kind);
    if (item.kind != Kind::kBlob) text += " " + item.repository;
    if (item.kind == Kind::kTagIndexEntry || item.kind == Kind::kTag) {
      text += " " + item.tag;
    }
    text += " ";
    text += item.digest.valid() ? item.digest.str() : "-";
    if (item.kind == Kind::kBlob) text += " " + std::to_string(item.bytes);
  }
  text += "\nend " + std::to_string(record.items.size()) + "\n";
  return text;
}

bool DecodeQuarantineRecord(std::string_view text, QuarantineRecord* record,
                            std::string* error) {
  *record = QuarantineRecord();
  size_t start = 0, number = 0;
  bool ended = false;
  auto fail = [&](std::string why) {
    *error = "line " + std::to_string(number) + ": " + why;
    return false;
  };
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) return fail("no newline at its end");
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (ended) return fail("text after the end line");
    if (number == 1) {
      if (line != kHeader) return fail("not a regsweep quarantine record");
      continue;
    }
    const size_t space = line.find(' ');
    const std::string_view name = line.substr(0, space);
    const std::string_view value =
        space == std::string_view::npos ? "" : line.substr(space + 1);
    if (number == 2 && name == "run") {
      record->run = value;
    } else if (number == 3 && name == "started") {
      if (!ParseRfc3339(value, &record->started_ns)) return fail("bad time");
    } else if (number == 4 && name == "command") {
      record->command = value;
    } else if (number == 5 && name == "reason") {
      record->reason = value;
    } else if (number > 5 && name == "end") {
      uint64_t count = 0;
      if (!ParseCount(value, &count) || count != record->items.size()) {
        return fail("the end line counts another number of items");
      }
      ended = true;
    } else if (number > 5) {
      QuarantinedItem item;
      if (!ParseItem(Words(line), &item)) return fail("not an item");
      record->items.push_back(std::move(item));
    } else {
      return fail("expected the header's fields in order");
    }
  }
  if (!ended) return fail("no end line: the record is cut short");
  return true;
}

}  // namespace regsweep::storage
