// SPDX-License-Identifier: BSL-1.0
#pragma once
// The emulated service's routes: one table of (method, path) -> handler rows.
// A row's family says what is checked before its handler runs; the router
// holds the state's lock while a handler runs.

#include "answers.hpp"
#include "state.hpp"
#include "webhooks.hpp"

#include <span>
#include <string>
#include <string_view>

namespace runninghub::emu {

/// What a handler is given.
struct call {
    state& st;
    webhooks& hooks;
    const request_t& req;
    response_t& res;
    time_point now;
    std::string key{};                    // the API key the family check accepted
    const json::object* body = nullptr;   // the JSON body (v2 and legacy families)
    std::string_view rest{};              // the target after a prefix row's path (an id, a model)

    /// Schedules the new task's TASK_END callback when it asked for one.
    void created(const std::string& id);
};

enum class family {
    open,    // the handler checks for itself
    v2,      // a Bearer key (else flat 1002) and a JSON object body (else flat 1007)
    legacy,  // a JSON object body (else 301) with the key in it (else 802)
};

enum class match { exact, prefix };

/// One route. Its handler returns true when it created a task.
struct route {
    http::verb method;
    std::string_view path;
    match how;
    family fam;
    bool (*handle)(call&);
    const char* key_field = "apiKey";  // legacy family: the body field that holds the key
};

std::span<const route> legacy_routes();  // routes_legacy.cpp
std::span<const route> v2_routes();      // routes_v2.cpp
std::span<const route> model_routes();   // routes_model.cpp: the Standard Model API, after v2

/// The `webhookUrl` a submit asked for; empty when none.
std::string webhook_url_of(const json::object& body);

/// A submit beyond the key's concurrency limit: answered with opts.over_limit_code, counted.
bool over_limit_answer(call& c);

/// Answers one whole request; true when it created a task.
bool dispatch(state& st, webhooks& hooks, const request_t& req, response_t& res);

} // namespace runninghub::emu
