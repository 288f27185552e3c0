#pragma once
// Result<T> and Status: the error model every component uses. No exception crosses a
// component boundary; throwing third-party calls are wrapped where they are made.

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace vigil {

enum class Code {
    kOk = 0,
    kInvalidArgument,
    kNotFound,
    kAlreadyExists,
    kPermissionDenied,
    kFailedPrecondition,
    kResourceExhausted,
    kUnavailable,
    kDataLoss,
    kInternal,
    kCancelled,
};

std::string_view CodeName(Code code);

struct [[nodiscard]] Error {
    Code code = Code::kInternal;
    std::string message;

    // Prefixes context as an error travels up: "loading rules/x.yml: <message>".
    Error&& WithContext(std::string_view context) && {
        message = std::string(context) + ": " + message;
        return std::move(*this);
    }
    std::string ToString() const;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> MakeError(Code code, std::string message) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}
inline tl::unexpected<Error> InvalidArgument(std::string message) {
    return MakeError(Code::kInvalidArgument, std::move(message));
}
inline tl::unexpected<Error> NotFound(std::string message) {
    return MakeError(Code::kNotFound, std::move(message));
}
inline tl::unexpected<Error> ResourceExhausted(std::string message) {
    return MakeError(Code::kResourceExhausted, std::move(message));
}
inline tl::unexpected<Error> Internal(std::string message) {
    return MakeError(Code::kInternal, std::move(message));
}
inline Status Ok() { return {}; }

}  // namespace vigil
