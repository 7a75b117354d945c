// SPDX-License-Identifier: BSL-1.0
#pragma once
// How the emulated service answers: its JSON envelopes. Every helper returns
// false, read as "no task was created", so that a route can `return` it.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

namespace runninghub::emu {

namespace http = boost::beast::http;
namespace json = boost::json;
using request_t = http::request<http::string_body>;
using response_t = http::response<http::string_body>;

/// 200 with `v` as the JSON body.
bool json_answer(response_t& res, const json::value& v);
/// {code, msg, data}: the legacy envelope.
bool ok_answer(response_t& res, json::value data, const char* msg = "success");
bool legacy_error(response_t& res, int code, const char* msg);
/// A v2 task-shaped error: {taskId:"", status:"", errorCode, errorMessage, ...}.
bool flat_error(response_t& res, const char* code, const char* msg);
/// 404 with the legacy "Invalid URL" envelope.
bool not_found(response_t& res);

} // namespace runninghub::emu
