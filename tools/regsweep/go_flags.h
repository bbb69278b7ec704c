// Go flag forms: reads a command line as Go's spf13/pflag (under cobra)
// reads it for `registry garbage-collect`, and rewrites it into the forms
// boost::program_options takes, so that the drop-in accepts what
// distribution's command accepts.
//
// Contract (pflag as Debian's docker-registry 2.8.2 links it; every form
// below was tried against that binary):
//   --name           a boolean flag: true.
//   --name=VALUE     a boolean flag set to VALUE, read as Go's
//                    strconv.ParseBool: 1 t T TRUE true True are true,
//                    0 f F FALSE false False are false, anything else
//                    (yes, tRUE, "") is an error. `--name VALUE` does not
//                    take VALUE: it stays an argument of its own, as in Go.
//   -x, -x=VALUE     the same by shorthand.
//   -xyz             a cluster of shorthands, read left to right: a
//                    boolean one is set to true unless '=' follows it, in
//                    which case the rest of the argument is its value
//                    (-md=false: m true, d false); one that takes a value
//                    takes the rest of the argument (-j4, -j=4) or else
//                    the next argument (-j 4).
//                    A character that is no shorthand is an error, so the
//                    single-dash long forms -dry-run and -delete-untagged
//                    (clusters to pflag: d, r, ...) are refused, as
//                    distribution refuses them; so are -m= and -=.
//   --name VALUE, --name=VALUE
//                    a flag that takes a value (pflag takes the next
//                    argument whatever it looks like).
//   ---x, --=x       an error ("bad flag syntax").
//   --               ends the flags: what follows is an argument.
//   -                an argument.
// The last occurrence of a boolean flag wins (-m -m=false: false).
// Long names not in the table are passed on as given (boost reports them,
// or reads them as its own forms).
//
// The output names each boolean flag that ended true once, as "--name"
// (false ones are left out: they are the boost defaults), then the other
// arguments in their order, each value flag as "--name=VALUE" (every
// occurrence: boost reports a repeated one), and "--" with what follows
// it as given. Error messages are pflag's.
#ifndef REGSWEEP_TOOLS_REGSWEEP_GO_FLAGS_H_
#define REGSWEEP_TOOLS_REGSWEEP_GO_FLAGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace regsweep::cli {

struct GoFlag {
  std::string name;     // long name, without dashes: "dry-run"
  char shorthand = 0;   // 'd', or 0 when there is none
  bool takes_value = false;  // false: a boolean flag
};

// Go's strconv.ParseBool. False when `text` is none of its twelve forms.
bool ParseGoBool(std::string_view text, bool* value);

// Rewrites `args` as described above. False, with pflag's message in
// *error, when an argument is malformed.
bool NormalizeGoFlags(const std::vector<std::string>& args,
                      const std::vector<GoFlag>& flags,
                      std::vector<std::string>* out, std::string* error);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_GO_FLAGS_H_
