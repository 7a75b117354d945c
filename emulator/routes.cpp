// SPDX-License-Identifier: BSL-1.0
#include "routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <vector>

namespace runninghub::emu {
namespace {

bool no_such_route(call& c) { return not_found(c.res); }

// Whatever no other row took: a POST is checked as v2 and answered 404.
constexpr route last_rows[] = {
    {http::verb::post, "", match::prefix, family::v2, no_such_route},
};

// The rows in the order they are tried: the first that matches answers.
const std::vector<route>& table() {
    static const std::vector<route> rows = [] {
        std::vector<route> all;
        for (auto part : {legacy_routes(), v2_routes(), model_routes(), std::span<const route>(last_rows)})
            all.insert(all.end(), part.begin(), part.end());
        return all;
    }();
    return rows;
}

const route* find_route(http::verb method, std::string_view target) {
    for (auto& r : table())
        if (r.method == method && (r.how == match::exact ? target == r.path : target.starts_with(r.path)))
            return &r;
    return nullptr;
}

// The family's checks; false when they answered already.
bool admitted(const route& r, call& c, json::value& body) {
    if (r.fam == family::open)
        return true;
    error_code ec;
    body = json::parse(c.req.body(), ec);
    if (r.fam == family::legacy) {
        if (ec || !body.is_object())
            return legacy_error(c.res, 301, "PARAMS_INVALID");
        if (auto* k = body.get_object().if_contains(r.key_field); k && k->is_string())
            c.key = k->get_string();
        if (!c.st.known_key(c.key))
            return legacy_error(c.res, 802, "APIKEY_UNAUTHORIZED");
    } else {
        if (!c.st.bearer_key(c.req[http::field::authorization], c.key))
            return flat_error(c.res, "1002", "Invalid API Key");
        if (ec || !body.is_object())
            return flat_error(c.res, "1007", "Invalid parameters: body is not a JSON object");
    }
    c.body = &body.get_object();
    return true;
}

} // namespace

bool over_limit_answer(call& c) {
    int code = c.st.opts.over_limit_code;
    ++c.st.stats.over_limit_answers[code];
    switch (code) {
    case 804: return legacy_error(c.res, 804, "APIKEY_TASK_IS_RUNNING");
    case 415: return legacy_error(c.res, 415, "TASK_INSTANCE_MAXED");
    case 814: return legacy_error(c.res, 814, "PERSONAL_QUEUE_COUNT_LIMIT");
    case 1520: return legacy_error(c.res, 1520, "concurrency full");
    default: return legacy_error(c.res, code, "TASK_QUEUE_MAXED");
    }
}

void call::created(const std::string& id) {
    auto& t = st.tasks.at(id);
    if (body) {
        json::object seen = *body;
        seen.erase("apiKey");  // never kept
        t.request.body = json::serialize(seen);
    }
    for (auto& field : req)
        if (field.name() != http::field::authorization)
            t.request.headers.emplace_back(field.name_string(), field.value());
    if (!t.webhook_url.empty())
        hooks.schedule(id, t.webhook_url, st.end_of(t));
}

std::string webhook_url_of(const json::object& body) {
    if (auto* hook = body.if_contains("webhookUrl"); hook && hook->is_string())
        return std::string(hook->get_string());
    return {};
}

bool dispatch(state& st, webhooks& hooks, const request_t& req, response_t& res) {
    auto lk = st.lock();
    call c{st, hooks, req, res, clock::now()};
    auto* r = find_route(req.method(), req.target());
    if (!r) {
        res.result(http::status::method_not_allowed);
        return false;
    }
    json::value body;
    if (!admitted(*r, c, body))
        return false;
    c.rest = req.target().substr(r->path.size());
    return r->handle(c);
}

} // namespace runninghub::emu
