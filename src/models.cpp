#include <runninghub/models.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace runninghub {

std::string_view to_string(task_status s) noexcept {
    switch (s) {
    case task_status::create: return "CREATE";
    case task_status::queued: return "QUEUED";
    case task_status::running: return "RUNNING";
    case task_status::success: return "SUCCESS";
    case task_status::failed: return "FAILED";
    case task_status::cancel: return "CANCEL";
    case task_status::unknown: break;
    }
    return "UNKNOWN";
}

task_status parse_task_status(std::string_view s) noexcept {
    if (s == "QUEUED") return task_status::queued;
    if (s == "RUNNING") return task_status::running;
    if (s == "SUCCESS") return task_status::success;
    if (s == "FAILED") return task_status::failed;
    if (s == "CANCEL" || s == "CANCELLED" || s == "CANCELED") return task_status::cancel;
    if (s == "CREATE") return task_status::create;
    return task_status::unknown;
}

bool prompt_tips::has_node_errors() const noexcept {
    if (auto* o = node_errors.if_object())
        return !o->empty();
    if (auto* a = node_errors.if_array())
        return !a->empty();
    if (auto* s = node_errors.if_string())
        return !s->empty();
    return false;
}

std::optional<prompt_tips> parse_prompt_tips(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    error_code ec;
    auto v = boost::json::parse(text, ec);
    auto* o = ec ? nullptr : v.if_object();
    if (!o)
        return std::nullopt;
    prompt_tips t;
    if (auto* r = o->if_contains("result"); r && r->is_bool())
        t.result = r->get_bool();
    if (auto* e = o->if_contains("error"))
        t.error = *e;
    if (auto* a = o->if_contains("outputs_to_execute"); a && a->is_array())
        for (auto& x : a->get_array())
            if (x.is_string())
                t.outputs_to_execute.emplace_back(x.get_string());
    if (auto* n = o->if_contains("node_errors"))
        t.node_errors = *n;
    return t;
}

std::string_view content_type_for(std::string_view file_name) noexcept {
    auto dot = file_name.rfind('.');
    if (dot == std::string_view::npos)
        return "application/octet-stream";
    char ext[12] = {};
    auto e = file_name.substr(dot + 1);
    if (e.size() >= sizeof ext)
        return "application/octet-stream";
    std::transform(e.begin(), e.end(), ext, [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {"png", "image/png"},   {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},       {"webp", "image/webp"},
        {"gif", "image/gif"},   {"bmp", "image/bmp"},   {"zip", "application/zip"},   {"mp3", "audio/mpeg"},
        {"wav", "audio/wav"},   {"flac", "audio/flac"}, {"mp4", "video/mp4"},         {"avi", "video/x-msvideo"},
        {"mov", "video/quicktime"}, {"mkv", "video/x-matroska"}, {"webm", "video/webm"}, {"txt", "text/plain"},
        {"json", "application/json"},
    };
    std::string_view x(ext);
    for (auto& [k, v] : types)
        if (k == x)
            return v;
    return "application/octet-stream";
}

std::vector<node_input> app_info::inputs() const {
    std::vector<node_input> v;
    v.reserve(nodes.size());
    for (auto& n : nodes)
        v.push_back(n.with(n.field_value));
    return v;
}

const app_node* app_info::find(std::string_view node_id, std::string_view field_name) const noexcept {
    for (auto& n : nodes)
        if (n.node_id == node_id && n.field_name == field_name)
            return &n;
    return nullptr;
}

} // namespace runninghub
