using System.Collections;
using System.Collections.Concurrent;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Options.V1;

namespace Mesh.Contracts.Classification;

/// <summary>
/// Minimum necessary: clears from a message every value a reader may not see, by the fields' classifications.
/// A field whose effective classification (its own, or a stricter one of a field that contains it) is withheld is
/// cleared whole, wherever it is: in nested messages, repeated fields, map values and <c>google.protobuf.Any</c>
/// payloads of Mesh types. An Any whose type is not a Mesh contract cannot be judged and is emptied.
/// </summary>
public static class Projection
{
    private static readonly Lazy<TypeRegistry> MeshTypes = new(() => TypeRegistry.FromFiles([.. ContractCatalog.Files]));
    private static readonly ConcurrentDictionary<(MessageDescriptor, DataClassification), bool> Untouched = new();

    /// <summary>A deep copy of <paramref name="message"/> without the values classified as any of <paramref name="withheld"/>.</summary>
    public static T Without<T>(T message, IReadOnlySet<DataClassification> withheld)
        where T : IMessage
    {
        ArgumentNullException.ThrowIfNull(message);
        var copy = (T)message.Descriptor.Parser.ParseFrom(message.ToByteString());
        ClearInPlace(copy, withheld);
        return copy;
    }

    /// <summary>Clears, in <paramref name="message"/> itself, the values classified as any of <paramref name="withheld"/>.</summary>
    public static void ClearInPlace(IMessage message, IReadOnlySet<DataClassification> withheld)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(withheld);
        if (withheld.Count > 0)
        {
            Clear(message, DataClassification.Unspecified, withheld);
        }
    }

    private static void Clear(IMessage message, DataClassification inherited, IReadOnlySet<DataClassification> withheld)
    {
        if (message is Any any)
        {
            ClearAny(any, inherited, withheld);
            return;
        }

        if (withheld.All(w => Untouched.GetOrAdd((message.Descriptor, w), key => !MayHold(key.Item1, key.Item2, []))) && !withheld.Contains(inherited))
        {
            return;
        }

        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var effective = DataClassifications.Stricter(inherited, DataClassifications.Of(field));
            if (withheld.Contains(effective))
            {
                field.Accessor.Clear(message);
                continue;
            }

            var value = field.Accessor.GetValue(message);
            switch (value)
            {
                case IDictionary map when IsMessageValued(field):
                    foreach (var entry in map.Values)
                    {
                        Clear((IMessage)entry, effective, withheld);
                    }

                    break;
                case IList list when field.FieldType == FieldType.Message:
                    foreach (IMessage element in list)
                    {
                        Clear(element, effective, withheld);
                    }

                    break;
                case IMessage child:
                    Clear(child, effective, withheld);
                    break;
            }
        }
    }

    private static void ClearAny(Any any, DataClassification inherited, IReadOnlySet<DataClassification> withheld)
    {
        var type = any.TypeUrl.Length == 0 ? null : MeshTypes.Value.Find(Any.GetTypeName(any.TypeUrl));
        if (type is null)
        {
            any.TypeUrl = "";
            any.Value = ByteString.Empty;
            return;
        }

        var inner = type.Parser.ParseFrom(any.Value);
        Clear(inner, inherited, withheld);
        any.Value = inner.ToByteString();
    }

    private static bool IsMessageValued(FieldDescriptor map) => map.MessageType.FindFieldByNumber(2).FieldType == FieldType.Message;

    // Whether a message of this type can hold a value classified as `withheld`: through its own fields, the
    // messages it contains, or an Any (whose payload is only known at run time).
    private static bool MayHold(MessageDescriptor descriptor, DataClassification withheld, HashSet<string> visiting)
    {
        if (descriptor.FullName == Any.Descriptor.FullName)
        {
            return true;
        }

        if (!visiting.Add(descriptor.FullName))
        {
            return false;
        }

        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            if (DataClassifications.Of(field) == withheld)
            {
                return true;
            }

            var child = field.IsMap ? field.MessageType.FindFieldByNumber(2) : field;
            if (child.FieldType == FieldType.Message && MayHold(child.MessageType, withheld, visiting))
            {
                return true;
            }
        }

        return false;
    }
}
