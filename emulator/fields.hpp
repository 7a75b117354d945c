// SPDX-License-Identifier: BSL-1.0
#pragma once
// Reading request fields. The emulator parses for itself: a test oracle that
// shared the client's JSON helpers would share their bugs too.

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace runninghub::emu {

/// A scalar field as text: a string as is, a number or a bool spelled out;
/// empty for null, arrays, objects and a missing field.
inline std::string text_of(const boost::json::value* v) {
    if (!v)
        return {};
    switch (v->kind()) {
    case boost::json::kind::string: return std::string(v->get_string());
    case boost::json::kind::int64: return std::to_string(v->get_int64());
    case boost::json::kind::uint64: return std::to_string(v->get_uint64());
    case boost::json::kind::double_: return boost::json::serialize(*v);
    case boost::json::kind::bool_: return v->get_bool() ? "true" : "false";
    default: return {};
    }
}

} // namespace runninghub::emu
