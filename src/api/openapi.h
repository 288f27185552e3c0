#pragma once
// OpenAPI 3.0 description of a route table: one operation per route with its summary,
// `x-permission` and a required string path parameter for every {param} segment.

#include <string>
#include <string_view>

#include "api/router.h"

namespace vigil::api {

std::string BuildOpenApi(const Router& router, std::string_view title = "Vigil API",
                         std::string_view version = "0.1.0");

}  // namespace vigil::api
