using Google.Protobuf.Reflection;
using Mesh.Contracts.Options.V1;

namespace Mesh.Contracts.Classification;

/// <summary>
/// Reads the <c>mesh.options.v1.classification</c> option of fields from their descriptors.
/// </summary>
public static class DataClassifications
{
    /// <summary>The classification declared on the field, or UNSPECIFIED.</summary>
    public static DataClassification Of(FieldDescriptor field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var options = field.GetOptions();
        return options is not null && options.HasExtension(OptionsExtensions.Classification)
            ? options.GetExtension(OptionsExtensions.Classification)
            : DataClassification.Unspecified;
    }

    /// <summary>True for values that identify a person: PII and PHI.</summary>
    public static bool IsSensitive(DataClassification classification) =>
        classification is DataClassification.Pii or DataClassification.Phi;

    /// <summary>
    /// The dotted paths (e.g. <c>patient.mrn</c>) of every field, at any depth, whose effective
    /// classification is <paramref name="classification"/>. A field inherits the classification of the
    /// message field that contains it when that one is stricter, so <c>patient</c> marked PHI makes all of
    /// its fields PHI.
    /// </summary>
    public static IReadOnlyList<string> FieldsClassifiedAs(MessageDescriptor message, DataClassification classification)
    {
        ArgumentNullException.ThrowIfNull(message);
        var paths = new List<string>();
        Walk(message, prefix: "", inherited: DataClassification.Unspecified, [], (path, effective) =>
        {
            if (effective == classification)
            {
                paths.Add(path);
            }
        });
        return paths;
    }

    /// <summary>Every field path of the message, at any depth, with its effective classification.</summary>
    public static IReadOnlyDictionary<string, DataClassification> EffectiveClassifications(MessageDescriptor message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = new Dictionary<string, DataClassification>(StringComparer.Ordinal);
        Walk(message, prefix: "", inherited: DataClassification.Unspecified, [], (path, effective) => result[path] = effective);
        return result;
    }

    /// <summary>The stricter of two classifications (PHI &gt; PII &gt; INTERNAL &gt; PUBLIC &gt; UNSPECIFIED).</summary>
    public static DataClassification Stricter(DataClassification a, DataClassification b) => a >= b ? a : b;

    private static void Walk(
        MessageDescriptor message,
        string prefix,
        DataClassification inherited,
        HashSet<string> visiting,
        Action<string, DataClassification> visit)
    {
        // Recursive message types (e.g. google.protobuf.Struct) are walked once per path.
        if (!visiting.Add(message.FullName))
        {
            return;
        }

        foreach (var field in message.Fields.InDeclarationOrder())
        {
            var path = prefix.Length == 0 ? field.Name : $"{prefix}.{field.Name}";
            var effective = Stricter(inherited, Of(field));
            visit(path, effective);
            if (field.IsMap)
            {
                // A map's values are walked as if the map were a repeated field of its value type.
                var value = field.MessageType.FindFieldByNumber(2);
                if (value.FieldType == FieldType.Message)
                {
                    Walk(value.MessageType, path, effective, visiting, visit);
                }
            }
            else if (field.FieldType == FieldType.Message)
            {
                Walk(field.MessageType, path, effective, visiting, visit);
            }
        }

        visiting.Remove(message.FullName);
    }
}
