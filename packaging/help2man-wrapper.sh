#!/bin/sh
# What help2man runs to write the man page of one subcommand (see the man
# page block of CMakeLists.txt): help2man calls this script with --help, and
# the script prints `$REGSWEEP_BIN $REGSWEEP_COMMAND --help` (an empty
# REGSWEEP_COMMAND: the top-level page), then, for each word of
# REGSWEEP_SUBCOMMANDS, `$REGSWEEP_BIN $REGSWEEP_COMMAND <word> --help` as a
# section of its own (`tag ls`, `tag rm`). The words are the --help text's;
# only the layout changes, to what help2man recognises: "Usage:" (with "or:"
# for the other forms, wrapped lines joined), capitalised headings
# ("Options:", "Examples:", "Exit status"), and "-d, --dry-run" in place of
# Boost's "-d [ --dry-run ]", in the same columns.
set -u

# $1: "top" for the page's own text, "sub" for a section of it.
layout() {
  awk -v part="$1" '
    { text[NR] = $0 }
    # The column where the descriptions of the entries (options, commands)
    # of the block (up to a blank line) starting at line i begin: the
    # entries are aligned, so one with two spaces before its description
    # gives it.
    function column(i) {
      for (; i <= NR && text[i] != ""; i++) {
        if (text[i] ~ /^  [^ ]/ && match(text[i], /[^ ]  +[^ ]/)) {
          return RSTART + RLENGTH - 2
        }
      }
      return -1
    }
    # One entry: "-d [ --dry-run ]" becomes "-d, --dry-run"; the
    # description stays in its column.
    function entry(s,   opt, desc) {
      if (col <= 0 || length(s) <= col || substr(s, col, 1) != " ") return s
      opt = substr(s, 1, col); desc = substr(s, col + 1); sub(/ +$/, "", opt)
      if (sub(/^ +-. \[ --[a-z-]+ \]/, "&", opt)) {
        sub(/ \[ /, ", ", opt); sub(/ \]/, "", opt)
      }
      # help2man needs two spaces after an option, and reads a description
      # that starts with "-" as more options: such a description goes on a
      # line of its own.
      if (desc ~ /^-/ || length(opt) > col - 2) return opt "\n" sprintf("%" col "s", "") desc
      return sprintf("%-" col "s", opt) desc
    }
    END {
      for (i = 1; i <= NR; i++) {
        s = text[i]
        if (part == "top" && i == 1 && sub(/^usage:/, "Usage:", s)) {
          # The other forms as "or:" lines, wrapped lines joined.
          while (i < NR && text[i + 1] ~ /^ +[^ ]/) {
            t = text[++i]
            if (t ~ /^ +regsweep /) { print s; sub(/^ +/, "   or: ", t); s = t }
            else { sub(/^ +/, " ", t); s = s t }
          }
        } else if (examples && s ~ /^  regsweep /) {
          sub(/^  /, "  $ ", s)
        } else if (s ~ /^  [^ ]/) {
          if (col == 0) col = column(i)
          s = entry(s)
        } else if (part == "top" && s ~ /^(options|commands|examples):$/) {
          examples = s == "examples:"
          s = toupper(substr(s, 1, 1)) substr(s, 2)
          if (i > 1 && text[i - 1] != "") print ""
        } else if (part == "top" && s ~ /^exit codes:/) {
          print "*Exit status*"
        }
        if (s == "") examples = col = 0
        print s
      }
    }'
}

"$REGSWEEP_BIN" ${REGSWEEP_COMMAND:+"$REGSWEEP_COMMAND"} "$@" | layout top
for sub in ${REGSWEEP_SUBCOMMANDS:-}; do
  printf '\n*%s %s*\n' "$REGSWEEP_COMMAND" "$sub"
  "$REGSWEEP_BIN" "$REGSWEEP_COMMAND" "$sub" "$@" | layout sub
done
