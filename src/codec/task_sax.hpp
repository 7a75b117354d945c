// SPDX-License-Identifier: BSL-1.0
#pragma once
// The common answer, read without a DOM: a flat v2 task object (run, query)
// whose fields are scalars, `results` an array of flat objects and `usage` an
// object of scalars, decoded by Boost.JSON's SAX parser straight into the task.
// Anything else (a legacy envelope, a failedReason, a double, a repeated key,
// a field of an unexpected kind, malformed JSON) is left to decode_task's DOM
// path, which reads every shape: the two agree wherever this one answers
// (unit/codec's differential test).

#include <runninghub/task.hpp>

#include <string_view>

namespace runninghub::detail {

/// Fills decode_flat's fields of `t` (id, status, errors, results, client id,
/// prompt tips, websocket URL, usage) from `body` and returns true when the
/// body is a flat task object with a `taskId` key in the plain shape above;
/// otherwise returns false with those fields empty. `t`'s other fields (its
/// diag) are not touched.
bool decode_flat_fast(std::string_view body, task& t);

} // namespace runninghub::detail
