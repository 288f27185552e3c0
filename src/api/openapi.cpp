#include "api/openapi.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace vigil::api {

std::string BuildOpenApi(const Router& router, std::string_view title, std::string_view version) {
    using nlohmann::json;
    json doc;
    doc["openapi"] = "3.0.3";
    doc["info"] = {{"title", title}, {"version", version}};
    doc["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
    json paths = json::object();
    for (const Route& route : router.routes()) {
        std::string method = route.method;
        std::transform(method.begin(), method.end(), method.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        json op;
        op["summary"] = route.summary;
        op["x-permission"] = route.permission;
        op["operationId"] = method + route.path;
        if (route.permission == kPublic) {
            op["security"] = json::array();
        } else {
            op["security"] = json::array({{{"bearer", json::array()}}});
        }
        json params = json::array();
        size_t pos = 0;
        while ((pos = route.path.find('{', pos)) != std::string::npos) {
            size_t end = route.path.find('}', pos);
            if (end == std::string::npos) break;
            params.push_back({{"name", route.path.substr(pos + 1, end - pos - 1)},
                              {"in", "path"},
                              {"required", true},
                              {"schema", {{"type", "string"}}}});
            pos = end + 1;
        }
        if (!params.empty()) op["parameters"] = params;
        json responses;
        responses["200"]["description"] = "success";
        if (route.permission != kPublic) {
            responses["401"]["description"] = "not authenticated";
            responses["403"]["description"] = "role lacks " + route.permission;
        }
        op["responses"] = responses;
        paths[route.path][method] = op;
    }
    doc["paths"] = paths;
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace vigil::api
