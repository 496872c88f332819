#pragma once

// libyaml's event-parser API (yaml_parser_*, yaml_event_*) has no variadic functions or function-like macros,
// so Swift imports it directly and this header needs no typed wrappers.
#include <yaml.h>
