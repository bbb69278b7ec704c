#include "tools/regsweep/go_flags.h"

#include <map>
#include <optional>

namespace regsweep::cli {
namespace {

// Go's %q of a string, for the plain ASCII that flag values usually are.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

class Normalizer {
 public:
  Normalizer(const std::vector<GoFlag>& flags, std::string* error)
      : flags_(flags), error_(error) {}

  bool Run(const std::vector<std::string>& args,
           std::vector<std::string>* out) {
    std::vector<std::string> rest;
    size_t i = 0;
    while (i < args.size()) {
      const std::string& arg = args[i++];
      if (arg.size() < 2 || arg[0] != '-') {
        rest.push_back(arg);  // an argument ("-" too)
      } else if (arg == "--") {
        rest.insert(rest.end(), args.begin() + static_cast<ptrdiff_t>(i - 1),
                    args.end());
        break;
      } else if (arg[1] == '-') {
        if (!Long(arg, args, &i, &rest)) return false;
      } else if (!Shorthands(arg, args, &i, &rest)) {
        return false;
      }
    }
    out->clear();
    for (const GoFlag& flag : flags_) {
      auto it = bools_.find(flag.name);
      if (it != bools_.end() && it->second) out->push_back("--" + flag.name);
    }
    out->insert(out->end(), rest.begin(), rest.end());
    return true;
  }

 private:
  const GoFlag* ByName(std::string_view name) const {
    for (const GoFlag& flag : flags_) {
      if (flag.name == name) return &flag;
    }
    return nullptr;
  }

  const GoFlag* ByShorthand(char c) const {
    for (const GoFlag& flag : flags_) {
      if (flag.shorthand != 0 && flag.shorthand == c) return &flag;
    }
    return nullptr;
  }

  // pflag's name for a flag in messages: "-m, --delete-untagged".
  static std::string Display(const GoFlag& flag) {
    std::string name = "--" + flag.name;
    if (flag.shorthand != 0) name = std::string("-") + flag.shorthand + ", " + name;
    return name;
  }

  bool Fail(std::string message) {
    *error_ = std::move(message);
    return false;
  }

  bool SetBool(const GoFlag& flag, std::string_view text) {
    bool value = false;
    if (!ParseGoBool(text, &value)) {
      return Fail("invalid argument " + Quoted(text) + " for " +
                  Quoted(Display(flag)) + " flag: strconv.ParseBool: parsing " +
                  Quoted(text) + ": invalid syntax");
    }
    bools_[flag.name] = value;
    return true;
  }

  // "--name", "--name=VALUE", "--name VALUE".
  bool Long(const std::string& arg, const std::vector<std::string>& args,
            size_t* next, std::vector<std::string>* rest) {
    std::string_view body = std::string_view(arg).substr(2);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      return Fail("bad flag syntax: " + arg);
    }
    size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    std::optional<std::string_view> value;
    if (eq != std::string_view::npos) value = body.substr(eq + 1);
    const GoFlag* flag = ByName(name);
    if (flag == nullptr) {
      rest->push_back(arg);  // boost's to judge
      return true;
    }
    if (!flag->takes_value) return SetBool(*flag, value.value_or("true"));
    if (!value) {
      if (*next == args.size()) return Fail("flag needs an argument: " + arg);
      value = args[(*next)++];
    }
    rest->push_back("--" + flag->name + "=" + std::string(*value));
    return true;
  }

  // "-x", "-x=VALUE", "-xyz", "-jVALUE", "-j VALUE".
  bool Shorthands(const std::string& arg, const std::vector<std::string>& args,
                  size_t* next, std::vector<std::string>* rest) {
    std::string_view cluster = std::string_view(arg).substr(1);
    while (!cluster.empty()) {
      char c = cluster[0];
      const GoFlag* flag = ByShorthand(c);
      if (flag == nullptr) {
        return Fail(std::string("unknown shorthand flag: '") + c + "' in -" +
                    std::string(cluster));
      }
      std::optional<std::string_view> value;
      std::string_view after = cluster.substr(1);
      if (cluster.size() > 2 && cluster[1] == '=') {
        value = cluster.substr(2);
        after = {};
      } else if (flag->takes_value && cluster.size() > 1) {
        value = cluster.substr(1);
        after = {};
      }
      if (!flag->takes_value) {
        if (!SetBool(*flag, value.value_or("true"))) return false;
      } else {
        if (!value) {
          if (*next == args.size()) {
            return Fail(std::string("flag needs an argument: '") + c +
                        "' in -" + std::string(cluster));
          }
          value = args[(*next)++];
        }
        rest->push_back("--" + flag->name + "=" + std::string(*value));
      }
      cluster = after;
    }
    return true;
  }

  const std::vector<GoFlag>& flags_;
  std::string* error_;
  std::map<std::string, bool> bools_;  // the last value of each boolean
};

}  // namespace

bool ParseGoBool(std::string_view text, bool* value) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" ||
      text == "true" || text == "True") {
    *value = true;
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" ||
      text == "false" || text == "False") {
    *value = false;
    return true;
  }
  return false;
}

bool NormalizeGoFlags(const std::vector<std::string>& args,
                      const std::vector<GoFlag>& flags,
                      std::vector<std::string>* out, std::string* error) {
  return Normalizer(flags, error).Run(args, out);
}

}  // namespace regsweep::cli
