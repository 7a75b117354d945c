// SPDX-License-Identifier: BSL-1.0
#include "answers.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace runninghub::emu {

bool json_answer(response_t& res, const json::value& v) {
    res.result(http::status::ok);
    res.set(http::field::content_type, "application/json");
    res.body() = json::serialize(v);
    return false;
}

bool ok_answer(response_t& res, json::value data, const char* msg) {
    return json_answer(res, json::object{{"code", 0}, {"msg", msg}, {"data", std::move(data)}});
}

bool legacy_error(response_t& res, int code, const char* msg) {
    return json_answer(res, json::object{{"code", code}, {"msg", msg}, {"data", nullptr}});
}

bool flat_error(response_t& res, const char* code, const char* msg) {
    return json_answer(res, json::object{{"taskId", ""},
                                         {"status", ""},
                                         {"errorCode", code},
                                         {"errorMessage", msg},
                                         {"results", nullptr},
                                         {"clientId", ""},
                                         {"promptTips", ""}});
}

bool not_found(response_t& res) {
    legacy_error(res, 1001, "Invalid URL");
    res.result(http::status::not_found);
    return false;
}

} // namespace runninghub::emu
