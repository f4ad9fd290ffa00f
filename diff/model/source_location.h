// Where something came from: a file and a 1-based line and column (0 when unknown), plus the
// index of a List item when the line of the item itself is not known.
#pragma once

#include <string>

namespace warren {

struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  int item = -1;  // index inside a List document, when the object came from one

  // "file:line:column", "file:line" or "file", whichever is known.
  // (Appended piece by piece: GCC 12 at -O3 warns a false -Wrestrict on `s += ":" + ...`.)
  std::string ToString() const {
    std::string s = file;
    if (line > 0) s.append(":").append(std::to_string(line));
    if (line > 0 && column > 0) s.append(":").append(std::to_string(column));
    if (item >= 0) s.append(" (items[").append(std::to_string(item)).append("])");
    return s;
  }
};

}  // namespace warren
