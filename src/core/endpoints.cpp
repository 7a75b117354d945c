// SPDX-License-Identifier: BSL-1.0
#include "core/endpoints.hpp"

namespace runninghub::detail {
namespace {

using m = http_method;
using k = key_place;
using c = call_kind;
using s = answer_shape;

// In endpoint_id order. Submits are `submit`: never repeated once they may have
// created a task. Uploads are `read`: the same bytes land under the same name.
constexpr endpoint table[] = {
    {m::post, "/openapi/v2/run/ai-app/", "POST /openapi/v2/run/ai-app", k::bearer, c::submit, s::task},
    {m::post, "/openapi/v2/run/workflow/", "POST /openapi/v2/run/workflow", k::bearer, c::submit, s::task},
    {m::post, "/openapi/v2/query", "POST /openapi/v2/query", k::bearer, c::read, s::task},
    {m::post, "/openapi/v2/", "POST /openapi/v2/{model}", k::bearer, c::submit, s::task},
    {m::post, "/task/openapi/create", "POST /task/openapi/create", k::body_apiKey, c::submit, s::task},
    {m::post, "/task/openapi/ai-app/run", "POST /task/openapi/ai-app/run", k::body_apiKey, c::submit, s::task},
    {m::post, "/task/openapi/quick-ai-app/run", "POST /task/openapi/quick-ai-app/run", k::body_apiKey, c::submit,
     s::task},
    {m::post, "/task/openapi/status", "POST /task/openapi/status", k::body_apiKey, c::read, s::envelope},
    {m::post, "/task/openapi/outputs", "POST /task/openapi/outputs", k::body_apiKey, c::read, s::envelope},
    {m::post, "/task/openapi/cancel", "POST /task/openapi/cancel", k::body_apiKey, c::read, s::envelope},
    {m::post, "/uc/openapi/accountStatus", "POST /uc/openapi/accountStatus", k::body_apikey, c::read, s::envelope},
    {m::get, "/openapi/v2/queue/status", "GET /openapi/v2/queue/status", k::bearer, c::read, s::envelope},
    {m::post, "/task/openapi/getWebhookDetail", "POST /task/openapi/getWebhookDetail", k::body_apiKey, c::read,
     s::envelope},
    {m::post, "/task/openapi/retryWebhook", "POST /task/openapi/retryWebhook", k::body_apiKey, c::read, s::envelope},
    {m::get, "/api/webapp/apiCallDemo", "GET /api/webapp/apiCallDemo", k::query_apiKey, c::read, s::envelope},
    {m::post, "/api/openapi/getJsonApiFormat", "POST /api/openapi/getJsonApiFormat", k::body_apiKey, c::read,
     s::envelope},
    {m::post, "/openapi/v2/media/upload/binary", "POST /openapi/v2/media/upload/binary", k::bearer, c::read,
     s::envelope},
    {m::post, "/task/openapi/upload", "POST /task/openapi/upload", k::form_apiKey, c::read, s::envelope},
    {m::post, "/api/openapi/getLoraUploadUrl", "POST /api/openapi/getLoraUploadUrl", k::body_apiKey, c::read,
     s::envelope},
    {m::put, "", "PUT {lora upload url}", k::none, c::read, s::raw},
    {m::get, "", "GET {result file}", k::none, c::read, s::raw},
};
static_assert(std::size(table) == static_cast<std::size_t>(endpoint_id::count));

} // namespace

const endpoint& row(endpoint_id id) noexcept { return table[static_cast<std::size_t>(id)]; }

std::string_view body_key_member(const endpoint& e) noexcept {
    switch (e.key) {
    case key_place::body_apiKey: return "apiKey";
    case key_place::body_apikey: return "apikey";
    default: return {};
    }
}

std::string query_escape(std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : value) {
        auto u = static_cast<unsigned char>(ch);
        bool plain = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || ch == '-' ||
                     ch == '_' || ch == '.' || ch == '~';
        if (plain) {
            out += ch;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

} // namespace runninghub::detail
