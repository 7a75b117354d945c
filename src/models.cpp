#include <runninghub/models.hpp>

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

} // namespace runninghub
