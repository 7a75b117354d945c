// SPDX-License-Identifier: BSL-1.0
// The Standard Model API: POST /openapi/v2/{endpoint} with typed parameters,
// the model catalogue and price previews.
#include "routes.hpp"

namespace runninghub::emu {
namespace {

bool known_model(const state& st, std::string_view endpoint) {
    return listed(st.opts.models, endpoint) || listed(st.opts.instant_models, endpoint);
}

bool resource_list(call& c) {
    json::array records;
    for (auto* list : {&c.st.opts.models, &c.st.opts.instant_models})
        for (auto& m : *list)
            records.push_back(json::object{{"endpoint", m}, {"name", m}});
    return ok_answer(c.res, json::object{{"records", std::move(records)}});
}

bool price_preview(call& c) {
    if (!known_model(c.st, c.rest))
        return flat_error(c.res, "1001", "Invalid URL");
    return ok_answer(c.res, json::object{{"price", "0.10"}, {"currency", "CNY"}});
}

// Typed parameters are checked as the service does; instant models answer SUCCESS at once.
bool run_model(call& c) {
    bool instant = listed(c.st.opts.instant_models, c.rest);
    if (!instant && !listed(c.st.opts.models, c.rest))
        return flat_error(c.res, "1001", "Invalid URL");
    for (auto& [k, v] : *c.body) {
        bool flag = k.starts_with("enable") || k.starts_with("is");
        bool number = k == "seed" || k == "width" || k == "height" || k == "duration" || k == "numImages";
        if ((flag && !v.is_bool()) || (number && !v.is_number()) || (k == "prompt" && !v.is_string()))
            return flat_error(c.res, "1007", "Invalid parameters: wrong JSON type");
    }
    if (!c.body->contains("prompt"))
        return flat_error(c.res, "1007", "Invalid parameters: prompt is required");
    if (!instant && c.st.over_limit(c.key, c.now))
        return over_limit_answer(c);
    auto id = c.st.create_task(c.key, std::string(c.rest), webhook_url_of(*c.body), c.now, instant);
    c.created(id);
    json_answer(c.res, instant ? c.st.task_json(id, c.st.tasks.at(id), c.now) : c.st.accepted_json(id, c.now));
    return true;
}

// After every other /openapi/v2/ row: the last one takes any model endpoint.
constexpr route model_rows[] = {
    {http::verb::post, "/openapi/v2/resource/list", match::exact, family::v2, resource_list},
    {http::verb::post, "/openapi/v2/price-preview/", match::prefix, family::v2, price_preview},
    {http::verb::post, "/openapi/v2/", match::prefix, family::v2, run_model},
};

} // namespace

std::span<const route> model_routes() { return model_rows; }

} // namespace runninghub::emu
