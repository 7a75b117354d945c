// SPDX-License-Identifier: BSL-1.0
#pragma once
// A task id read out of an answer that could not be decoded (a 5xx page, a
// truncated or malformed body): the task it names may exist, and an id lets
// the caller ask instead of leaving the submit in doubt (issue 11).

#include <string>
#include <string_view>

namespace runninghub::detail {

/// The one task id that `"taskId"` fields of `body` name (quoted or not,
/// digits only, at most 32), or empty when there is none or they disagree.
std::string salvage_task_id(std::string_view body);

} // namespace runninghub::detail
