using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Api;
using Google.Protobuf.Reflection;

namespace Mesh.Gateway.Surface;

/// <summary>
/// The OpenAPI 3.0 document of the REST surface, written from the same descriptors JSON transcoding serves: one
/// operation per partner RPC with a <c>google.api.http</c> rule, its path and query parameters, its response schema
/// in proto3 JSON, its scopes, and the bearer security scheme. Served at <c>/openapi/v1.json</c>.
/// </summary>
public static class PartnerOpenApi
{
    /// <summary>The path of the document.</summary>
    public const string Path = "/openapi/v1.json";

    /// <summary>The document for <paramref name="surface"/>.</summary>
    public static string Write(PartnerSurface surface)
    {
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var method in surface.Methods.OrderBy(m => m.Path, StringComparer.Ordinal))
        {
            var options = method.Descriptor.GetOptions();
            if (options is null || !options.HasExtension(AnnotationsExtensions.Http) || VerbOf(options.GetExtension(AnnotationsExtensions.Http)) is not var (verb, template, body))
            {
                continue;
            }

            var (path, variables, pathParameters) = PathOf(template);
            if (body.Length > 0)
            {
                variables.Add(body);
            }

            var parameters = new JsonArray();
            foreach (var variable in pathParameters)
            {
                parameters.Add(new JsonObject { ["name"] = variable, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
            }

            foreach (var field in method.Descriptor.InputType.Fields.InDeclarationOrder().Where(f => !variables.Contains(f.Name) && f.FieldType != FieldType.Message))
            {
                parameters.Add(new JsonObject { ["name"] = field.JsonName, ["in"] = "query", ["required"] = false, ["schema"] = SchemaOf(field, schemas) });
            }

            var operation = new JsonObject
            {
                ["operationId"] = method.Descriptor.Service.Name + "_" + method.Descriptor.Name,
                ["tags"] = new JsonArray(method.Descriptor.Service.FullName),
                ["description"] = $"{method.FullName}; scopes: {string.Join(", ", method.Scopes)}. PHI and PII fields are cleared unless the token carries phi.read / pii.read.",
                ["parameters"] = parameters,
                ["security"] = new JsonArray(new JsonObject { ["partnerToken"] = new JsonArray([.. method.Scopes.Select(s => (JsonNode)s)]) }),
                ["responses"] = new JsonObject
                {
                    ["200"] = new JsonObject { ["description"] = "OK", ["content"] = Json(Reference(method.Descriptor.OutputType, schemas)) },
                    ["default"] = new JsonObject { ["description"] = "A google.rpc.Status: code, message and details", ["content"] = Json(new JsonObject { ["type"] = "object" }) },
                },
            };
            if (method.Descriptor.InputType.FindFieldByName(body) is { FieldType: FieldType.Message } bodyField)
            {
                operation["requestBody"] = new JsonObject { ["required"] = true, ["content"] = Json(Reference(bodyField.MessageType, schemas)) };
            }

            (paths[path] ??= new JsonObject()).AsObject()[verb] = operation;
        }

        var document = new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject
            {
                ["title"] = "Mesh partner API",
                ["version"] = "v1",
                ["description"] = "The partner surface of Mesh. OAuth 2.0 bearer tokens (client credentials) with per-method scopes; errors are google.rpc.Status JSON.",
            },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["securitySchemes"] = new JsonObject { ["partnerToken"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["bearerFormat"] = "JWT" } },
            },
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    // The verb, path template and body field of a rule the partner surface serves: reads by GET, creates by POST.
    private static (string Verb, string Template, string Body)? VerbOf(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => ("get", rule.Get, ""),
        HttpRule.PatternOneofCase.Post => ("post", rule.Post, rule.Body),
        _ => null,
    };

    // "/v1/{name=items/*}" → ("/v1/items/{itemsId}", fields {"name"}, parameters ["itemsId"]): the pattern's literal
    // segments stay in the path and each "*" becomes a parameter, so two resources' paths stay apart.
    private static (string Path, HashSet<string> Fields, List<string> Parameters) PathOf(string template)
    {
        var fields = new HashSet<string>(StringComparer.Ordinal);
        var parameters = new List<string>();
        var path = System.Text.RegularExpressions.Regex.Replace(template, @"\{([a-z_.]+)(?:=([^}]*))?\}", m =>
        {
            fields.Add(m.Groups[1].Value);
            if (!m.Groups[2].Success)
            {
                parameters.Add(m.Groups[1].Value);
                return "{" + m.Groups[1].Value + "}";
            }

            var segments = m.Groups[2].Value.Split('/');
            return string.Join('/', segments.Select((segment, i) =>
            {
                if (segment != "*")
                {
                    return segment;
                }

                var parameter = (i > 0 ? segments[i - 1] : m.Groups[1].Value) + "Id";
                parameters.Add(parameter);
                return "{" + parameter + "}";
            }));
        });
        return (path, fields, parameters);
    }

    private static JsonObject Json(JsonNode schema) => new() { ["application/json"] = new JsonObject { ["schema"] = schema } };

    private static JsonObject Reference(MessageDescriptor message, JsonObject schemas)
    {
        if (message.FullName == "google.protobuf.Timestamp")
        {
            return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        }

        if (!schemas.ContainsKey(message.FullName))
        {
            var properties = new JsonObject();
            schemas[message.FullName] = new JsonObject { ["type"] = "object", ["properties"] = properties };
            foreach (var field in message.Fields.InDeclarationOrder())
            {
                properties[field.JsonName] = SchemaOf(field, schemas);
            }
        }

        return new JsonObject { ["$ref"] = "#/components/schemas/" + message.FullName };
    }

    private static JsonNode SchemaOf(FieldDescriptor field, JsonObject schemas)
    {
        JsonNode scalar = field.FieldType switch
        {
            FieldType.Message when field.IsMap => new JsonObject { ["type"] = "object" },
            FieldType.Message => Reference(field.MessageType, schemas),
            FieldType.Enum => new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. field.EnumType.Values.Select(v => (JsonNode)v.Name)]) },
            FieldType.Bool => new JsonObject { ["type"] = "boolean" },
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.UInt32 or FieldType.Fixed32 => new JsonObject { ["type"] = "integer", ["format"] = "int32" },
            // proto3 JSON writes 64-bit integers as strings.
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64 => new JsonObject { ["type"] = "string", ["format"] = "int64" },
            FieldType.Double or FieldType.Float => new JsonObject { ["type"] = "number" },
            FieldType.Bytes => new JsonObject { ["type"] = "string", ["format"] = "byte" },
            _ => new JsonObject { ["type"] = "string" },
        };
        return field.IsRepeated && !field.IsMap ? new JsonObject { ["type"] = "array", ["items"] = scalar } : scalar;
    }
}
