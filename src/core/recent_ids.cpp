// SPDX-License-Identifier: BSL-1.0
#include "core/recent_ids.hpp"

namespace runninghub::detail {

bool recent_ids::remember(std::string_view id, time_point now) {
    if (auto it = index_.find(id); it != index_.end()) {
        it->second->at = now;
        order_.splice(order_.end(), order_, it->second);  // the node (and the view into it) stays valid
        return false;
    }
    order_.push_back({std::string(id), now});
    auto last = std::prev(order_.end());
    index_.emplace(last->id, last);
    bytes_ += last->id.size() + entry_overhead;
    trim();
    return true;
}

std::optional<time_point> recent_ids::when(std::string_view id) const {
    auto it = index_.find(id);
    if (it == index_.end())
        return std::nullopt;
    return it->second->at;
}

bool recent_ids::forget(std::string_view id) {
    auto it = index_.find(id);
    if (it == index_.end())
        return false;
    erase(it->second);
    return true;
}

void recent_ids::forget_before(time_point t) {
    while (!order_.empty() && order_.front().at < t)
        erase(order_.begin());
}

void recent_ids::clear() {
    index_.clear();
    order_.clear();
    bytes_ = 0;
}

void recent_ids::trim() {
    while (!order_.empty() && (index_.size() > max_count_ || bytes_ > max_bytes_))
        erase(order_.begin());
}

void recent_ids::erase(list::iterator it) {
    bytes_ -= it->id.size() + entry_overhead;
    index_.erase(std::string_view(it->id));
    order_.erase(it);
}

} // namespace runninghub::detail
