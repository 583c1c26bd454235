// Parsing a TOML document with errors that name the source and line (internal: include only
// from .cc files, so that toml++ stays out of the public headers).
#pragma once

#include <toml++/toml.h>

#include <sstream>
#include <string>

#include "common/status.h"

namespace mcmpart::common {

/// Parses `text`; a syntax error reads "<source>:<line>: invalid TOML (<what>)".
inline StatusOr<toml::table> ParseTomlText(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source << ":" << e.source().begin.line << ": invalid TOML (" << e.description() << ")";
    return Status::Error(os.str());
  }
}

}  // namespace mcmpart::common
