using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace ToaProxy.Tests.Packaging;

/// <summary>Reads a (multi-document) YAML file into JSON nodes, so tests navigate it like JSON. Scalars stay strings.</summary>
internal static class YamlDocuments
{
    public static IReadOnlyList<JsonNode> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return [.. stream.Documents.Select(d => ToJson(d.RootNode))];
    }

    private static JsonNode ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, (JsonNode?)ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? string.Empty),
        _ => throw new InvalidDataException($"Unsupported YAML node {node.NodeType} at {node.Start}"),
    };
}
