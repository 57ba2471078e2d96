using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Options.V1;

namespace Mesh.Contracts.Validation;

/// <summary>One broken constraint: the field's path (e.g. <c>item.supplier_part_numbers[0].supplier</c>), the rule's id and what a valid value is.</summary>
/// <param name="Field">The dotted path of the field, with list indexes and map keys in brackets.</param>
/// <param name="Rule">The rule's id, e.g. "string.format.gtin", "required", "integer.gte".</param>
/// <param name="Description">What the rule asks of the value, without the value.</param>
public sealed record FieldViolation(string Field, string Rule, string Description);

/// <summary>
/// Checks messages against the <c>(mesh.options.v1.constraints)</c> declared on their fields, at any depth: set
/// message fields, repeated messages, map values and <c>google.protobuf.Any</c> payloads of Mesh types. The rules
/// are read from descriptors once per message type.
/// </summary>
public static class ContractValidator
{
    private static readonly ConcurrentDictionary<MessageDescriptor, FieldRules[]> Plans = new();
    private static readonly ConcurrentDictionary<MessageDescriptor, bool> Constrained = new();
    private static readonly Lazy<TypeRegistry> MeshTypes = new(() => TypeRegistry.FromFiles([.. ContractCatalog.Files]));

    /// <summary>Every broken constraint of <paramref name="message"/>, in field order; empty when it is valid.</summary>
    public static IReadOnlyList<FieldViolation> Validate(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var violations = new List<FieldViolation>();
        Check(message, "", violations);
        return violations;
    }

    /// <summary>True when messages of this type, at any depth, carry any constraint (Any payloads count as possibly constrained).</summary>
    public static bool HasConstraints(MessageDescriptor descriptor) => Constrained.GetOrAdd(descriptor, d => HasConstraints(d, []));

    private static bool HasConstraints(MessageDescriptor descriptor, HashSet<string> visiting)
    {
        if (descriptor.FullName == Any.Descriptor.FullName)
        {
            return true;
        }

        if (!visiting.Add(descriptor.FullName))
        {
            return false;
        }

        return PlanOf(descriptor).Length > 0 || descriptor.Fields.InDeclarationOrder().Any(f => ChildType(f) is { } child && HasConstraints(child, visiting));
    }

    private static void Check(IMessage message, string prefix, List<FieldViolation> violations)
    {
        if (message is Any any)
        {
            if (any.TypeUrl.Length > 0 && MeshTypes.Value.Find(Any.GetTypeName(any.TypeUrl)) is { } type)
            {
                Check(type.Parser.ParseFrom(any.Value), prefix, violations);
            }

            return;
        }

        // Most messages of most calls declare nothing: skip their trees without reading a field.
        if (!HasConstraints(message.Descriptor))
        {
            return;
        }

        foreach (var rules in PlanOf(message.Descriptor))
        {
            rules.Check(message, Path(prefix, rules.Field.Name), violations);
        }

        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (ChildType(field) is null)
            {
                continue;
            }

            var path = Path(prefix, field.Name);
            var value = field.Accessor.GetValue(message);
            switch (value)
            {
                case IDictionary map:
                    foreach (DictionaryEntry entry in map)
                    {
                        Check((IMessage)entry.Value!, $"{path}[{entry.Key}]", violations);
                    }

                    break;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        Check((IMessage)list[i]!, $"{path}[{i}]", violations);
                    }

                    break;
                case IMessage child:
                    Check(child, path, violations);
                    break;
            }
        }
    }

    // The message type a field holds (the value type for maps), or null for scalar fields.
    private static MessageDescriptor? ChildType(FieldDescriptor field)
    {
        if (field.IsMap)
        {
            var value = field.MessageType.FindFieldByNumber(2);
            return value.FieldType == FieldType.Message ? value.MessageType : null;
        }

        return field.FieldType == FieldType.Message ? field.MessageType : null;
    }

    private static string Path(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    private static FieldRules[] PlanOf(MessageDescriptor descriptor) =>
        Plans.GetOrAdd(descriptor, d => [.. d.Fields.InDeclarationOrder().Select(FieldRules.Of).OfType<FieldRules>()]);

    /// <summary>The constraints of one field, compiled.</summary>
    private sealed class FieldRules
    {
        private readonly FieldConstraints constraints;
        private readonly Regex? pattern;

        private FieldRules(FieldDescriptor field, FieldConstraints constraints)
        {
            Field = field;
            this.constraints = constraints;
            if (constraints.String is { Pattern.Length: > 0 } rules)
            {
                // A pattern that does not compile is a contract bug: say which field declares it.
                try
                {
                    pattern = new Regex(rules.Pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                }
                catch (ArgumentException e)
                {
                    throw new InvalidOperationException($"{field.FullName}: (mesh.options.v1.constraints).string.pattern does not compile: {e.Message}", e);
                }
            }
        }

        public FieldDescriptor Field { get; }

        public static FieldRules? Of(FieldDescriptor field)
        {
            var options = field.GetOptions();
            return options is not null && options.HasExtension(ConstraintsExtensions.Constraints)
                ? new FieldRules(field, options.GetExtension(ConstraintsExtensions.Constraints))
                : null;
        }

        public void Check(IMessage message, string path, List<FieldViolation> violations)
        {
            var value = Field.Accessor.GetValue(message);
            if (!IsSet(value, message))
            {
                if (constraints.Required)
                {
                    violations.Add(new FieldViolation(path, "required", "is required"));
                }
                else if (constraints.Integer is not null && !Field.IsRepeated && !Field.HasPresence)
                {
                    // Integer rules hold for an implicit zero too (a range of 1-5 refuses 0); string rules do not.
                    CheckScalar(value, path, violations);
                }

                return;
            }

            if (Field.IsRepeated || Field.IsMap)
            {
                CheckCount(((ICollection)value).Count, path, violations);
                if (!Field.IsMap)
                {
                    var index = 0;
                    foreach (var element in (IList)value)
                    {
                        CheckScalar(element, $"{path}[{index++}]", violations);
                    }
                }

                return;
            }

            CheckScalar(value, path, violations);
        }

        private bool IsSet(object? value, IMessage message) => value switch
        {
            null => false,
            ICollection collection => collection.Count > 0,
            IMessage => true,
            string text => text.Length > 0,
            ByteString bytes => bytes.Length > 0,
            bool flag => flag || (Field.HasPresence && Field.Accessor.HasValue(message)),
            _ => Field.HasPresence ? Field.Accessor.HasValue(message) : !IsZero(value),
        };

        private static bool IsZero(object value) => Convert.ToDecimal(value, CultureInfo.InvariantCulture) == 0m;

        private void CheckCount(int count, string path, List<FieldViolation> violations)
        {
            if (constraints.Repeated is not { } rules)
            {
                return;
            }

            if (rules.HasMinItems && count < rules.MinItems)
            {
                violations.Add(new FieldViolation(path, "repeated.min_items", $"must have at least {rules.MinItems} items"));
            }

            if (rules.HasMaxItems && count > rules.MaxItems)
            {
                violations.Add(new FieldViolation(path, "repeated.max_items", $"must have at most {rules.MaxItems} items"));
            }
        }

        private void CheckScalar(object? value, string path, List<FieldViolation> violations)
        {
            switch (value)
            {
                case string text when constraints.String is { } rules:
                    CheckString(text, rules, path, violations);
                    break;
                case int or long or uint or ulong when constraints.Integer is { } rules:
                    CheckInteger(Convert.ToDecimal(value, CultureInfo.InvariantCulture), rules, path, violations);
                    break;
            }
        }

        private void CheckString(string text, StringRules rules, string path, List<FieldViolation> violations)
        {
            var length = text.EnumerateRunes().Count();
            if (rules.HasMinLen && length < rules.MinLen)
            {
                violations.Add(new FieldViolation(path, "string.min_len", $"must be at least {rules.MinLen} characters"));
            }

            if (rules.HasMaxLen && length > rules.MaxLen)
            {
                violations.Add(new FieldViolation(path, "string.max_len", $"must be at most {rules.MaxLen} characters"));
            }

            if (pattern is not null && !Matches(pattern, text))
            {
                violations.Add(new FieldViolation(path, "string.pattern", $"must match {rules.Pattern}"));
            }

            if (rules.Format != StringFormat.Unspecified && !WellKnownFormats.Matches(rules.Format, text))
            {
                violations.Add(new FieldViolation(path, WellKnownFormats.RuleOf(rules.Format), WellKnownFormats.Describe(rules.Format)));
            }
        }

        // A value too costly to match is refused like one that does not match.
        private static bool Matches(Regex regex, string text)
        {
            try
            {
                return regex.IsMatch(text);
            }
            catch (RegexMatchTimeoutException)
            {
                return false;
            }
        }

        private static void CheckInteger(decimal number, IntegerRules rules, string path, List<FieldViolation> violations)
        {
            if (rules.HasGte && number < rules.Gte)
            {
                violations.Add(new FieldViolation(path, "integer.gte", $"must be at least {rules.Gte}"));
            }

            if (rules.HasLte && number > rules.Lte)
            {
                violations.Add(new FieldViolation(path, "integer.lte", $"must be at most {rules.Lte}"));
            }
        }
    }
}
