using System.Text.RegularExpressions;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>What makes a supplier valid, which of its identifiers must be unique, and how alike two suppliers are.</summary>
public static partial class SupplierRules
{
    // A shared street address is evidence, not proof (one building holds many companies): it raises a name
    // match, but alone it stays far below the default minimum score.
    private const int AddressEvidence = 1500;

    /// <summary>The suppliers collection.</summary>
    public static readonly ResourceName Suppliers = new("suppliers");

    /// <summary>The fields an update may change.</summary>
    public static readonly IReadOnlySet<string> UpdatablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "display_name", "legal_name", "tax_id", "external_ids", "address", "remit_to_address", "payment_terms", "state",
        "contact_name", "contact_email", "contact_phone",
    };

    // The legal forms that end company names, left out when names are compared: data entry turns the same
    // supplier into "Acme Inc." and "Acme LLC".
    private static readonly HashSet<string> LegalForms = new(StringComparer.Ordinal)
    {
        "INC", "INCORPORATED", "LLC", "LLP", "LP", "CORP", "CORPORATION", "CO", "COMPANY", "LTD", "LIMITED", "PLC", "GMBH", "AG", "SA", "NV", "BV",
    };

    [GeneratedRegex(@"\A[^@\s]+@[^@\s]+\.[^@\s]+\z")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"\A\+[1-9][0-9]{1,14}\z")]
    private static partial Regex E164Pattern();

    /// <summary>
    /// How alike two suppliers are, in basis points, and the fields that agree. The strongest identifier that matches
    /// decides: tax id, then legal name, then an external id, else how many words the names share (Jaccard); the same
    /// street address adds to whichever it is.
    /// </summary>
    public static (int Score, List<string> Fields) Similarity(Supplier candidate, Supplier existing)
    {
        var fields = new List<string>();
        var score = 0;
        if (Matching.SameIdentifier(candidate.TaxId, existing.TaxId))
        {
            (score, fields) = (10000, ["tax_id"]);
        }

        if (LegalName(candidate.LegalName) is { Length: > 0 } legalName && legalName == LegalName(existing.LegalName))
        {
            score = Math.Max(score, 9500);
            fields.Add("legal_name");
        }

        if (candidate.ExternalIds.Any(c => existing.ExternalIds.Any(e => string.Equals(e.System, c.System, StringComparison.OrdinalIgnoreCase) && Matching.SameIdentifier(e.Value, c.Value))))
        {
            score = Math.Max(score, 9000);
            fields.Add("external_ids");
        }

        var overlap = Matching.WordOverlap(NameWords(candidate), NameWords(existing));
        if (overlap >= Matching.AgreeingOverlap)
        {
            fields.Add("display_name");
        }

        score = Math.Max(score, overlap);
        if (SameStreetAddress(candidate.Address, existing.Address))
        {
            score = Math.Min(10000, score + AddressEvidence);
            fields.Add("address");
        }

        return (score, fields);
    }

    // The words of a company name without its legal form and punctuation: "ACME Medical Supply, Inc." and
    // "Acme Medical Supply LLC" are both ACME MEDICAL SUPPLY.
    private static List<string> Words(string name)
    {
        var words = Matching.Tokens(name).Select(Matching.Normalize).Where(w => w.Length > 0).ToList();
        while (words.Count > 1 && LegalForms.Contains(words[^1]))
        {
            words.RemoveAt(words.Count - 1);
        }

        return words;
    }

    private static string LegalName(string name) => string.Concat(Words(name));

    private static HashSet<string> NameWords(Supplier supplier) => [.. Words(supplier.DisplayName), .. Words(supplier.LegalName)];

    private static bool SameStreetAddress(PostalAddress? a, PostalAddress? b) =>
        a is { AddressLines.Count: > 0 } && b is { AddressLines.Count: > 0 }
        && Matching.SameIdentifier(a.PostalCode, b.PostalCode) && Matching.SameIdentifier(a.AddressLines[0], b.AddressLines[0]);

    /// <summary>The identifiers no two suppliers may share: the tax id and each external id within its system.</summary>
    public static IEnumerable<UniqueIdentifier> IdentifiersOf(Supplier supplier)
    {
        if (Matching.Normalize(supplier.TaxId) is { Length: > 0 } taxId)
        {
            yield return new UniqueIdentifier("supplier.tax_id", "tax", taxId);
        }

        foreach (var external in supplier.ExternalIds.Where(e => Matching.Normalize(e.Value).Length > 0))
        {
            yield return new UniqueIdentifier("supplier.external_ids", $"external:{external.System.ToUpperInvariant()}", Matching.Normalize(external.Value));
        }
    }

    // Contact details are personal data: the messages name the field and the rule, never the value.
    /// <summary>INVALID_ARGUMENT naming the field or rule unless the supplier is complete and its contact details well formed.</summary>
    public static void Validate(Supplier supplier)
    {
        if (string.IsNullOrWhiteSpace(supplier.DisplayName))
        {
            throw ResourceErrors.Invalid("supplier.display_name is required");
        }

        if (string.IsNullOrWhiteSpace(supplier.LegalName))
        {
            throw ResourceErrors.Invalid("supplier.legal_name is required (the registered name invoices are made out to)");
        }

        if (supplier.ContactEmail.Length > 0 && !EmailPattern().IsMatch(supplier.ContactEmail))
        {
            throw ResourceErrors.Invalid("supplier.contact_email is not an email address (expected name@domain.tld)");
        }

        if (supplier.ContactPhone.Length > 0 && !E164Pattern().IsMatch(supplier.ContactPhone))
        {
            throw ResourceErrors.Invalid("supplier.contact_phone must be in E.164 format, e.g. +18475551234");
        }
    }
}
