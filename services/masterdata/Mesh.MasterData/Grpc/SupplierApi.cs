using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>
/// mesh.masterdata.v1.SupplierService: the supplier master (AIP standard methods with ETags and request ids) and
/// duplicate detection, so the same organisation is not set up twice under different spellings.
/// </summary>
public sealed partial class SupplierApi(ResourceStore<Supplier> suppliers, ResourceStore<Item> items, UniqueIdentifiers<Supplier> identifiers, ContractEvents events)
    : SupplierService.SupplierServiceBase
{
    // A shared street address is evidence, not proof (one building holds many companies): it raises a name
    // match, but alone it stays far below the default minimum score.
    private const int AddressEvidence = 1500;

    /// <summary>The suppliers collection.</summary>
    internal static readonly ResourceName Suppliers = new("suppliers");

    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal)
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

    /// <inheritdoc />
    public override async Task<Supplier> GetSupplier(GetSupplierRequest request, ServerCallContext context) =>
        await suppliers.GetAsync(Suppliers.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListSuppliersResponse> ListSuppliers(ListSuppliersRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await suppliers.IdsAsync(ct), request.PageSize, request.PageToken, ids => suppliers.GetManyAsync(ids, ct), supplier => Matches(supplier, request));
        return new ListSuppliersResponse { Suppliers = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<Supplier> CreateSupplier(CreateSupplierRequest request, ServerCallContext context)
    {
        var supplier = request.Supplier?.Clone() ?? throw ResourceErrors.Invalid("supplier is required");
        Validate(supplier);
        var id = ResourceName.NewId(request.SupplierId, "supplier_id");
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        supplier.Name = Suppliers.Of(id);
        supplier.State = supplier.State == SupplierState.Unspecified ? SupplierState.Active : supplier.State;
        supplier.CreateTime = now;
        supplier.UpdateTime = now;
        var created = await suppliers.CreateAsync(id, supplier, request.RequestId, context.CancellationToken, ct => identifiers.ClaimAsync(id, supplier, ct));
        // After the supplier is stored; a retry with the same request_id publishes the same event (same id) again.
        await events.PublishAsync(
            new SupplierCreated { Context = events.Context($"{created.Name}.created", created.CreateTime.ToDateTimeOffset(), causationId: request.RequestId), Supplier = created },
            context.CancellationToken);
        return created;
    }

    /// <inheritdoc />
    public override async Task<Supplier> UpdateSupplier(UpdateSupplierRequest request, ServerCallContext context)
    {
        var change = request.Supplier ?? throw ResourceErrors.Invalid("supplier is required");
        var id = Suppliers.IdOf(change.Name, "supplier.name");
        return await StandardMethods.UpdateAsync(suppliers, id, change, request.UpdateMask, UpdatablePaths, updated =>
        {
            Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
        }, context.CancellationToken, (updated, ct) => identifiers.ClaimAsync(id, updated, ct));
    }

    /// <inheritdoc />
    public override async Task<Empty> DeleteSupplier(DeleteSupplierRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if ((await items.AllAsync(ct)).FirstOrDefault(i => i.SupplierPartNumbers.Any(p => p.Supplier == request.Name)) is { } item)
        {
            throw ResourceErrors.FailedPrecondition($"{item.Name} is sold by {request.Name} (supplier_part_numbers); remove that number first, or make {request.Name} inactive");
        }

        await StandardMethods.DeleteAsync(suppliers, Suppliers.IdOf(request.Name, "name"), request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override async Task<FindDuplicateSuppliersResponse> FindDuplicateSuppliers(FindDuplicateSuppliersRequest request, ServerCallContext context)
    {
        var candidate = request.Supplier ?? throw ResourceErrors.Invalid("supplier is required");
        var minimum = Matching.MinScore(request.MinScoreBasisPoints);
        var existing = await suppliers.AllAsync(context.CancellationToken);
        var matches = Matching.Best(existing.Where(e => e.Name != candidate.Name), e => Similarity(candidate, e), minimum, Matching.MaxMatches(request.MaxMatches));
        return new FindDuplicateSuppliersResponse { Matches = { matches.Select(m => new SupplierMatch { Supplier = m.Resource, ScoreBasisPoints = m.Score, MatchedFields = { m.Fields } }) } };
    }

    // The strongest identifier that matches decides: tax id, then legal name, then an external id, else how many
    // words the names share (Jaccard); the same street address adds to whichever it is.
    private static (int Score, List<string> Fields) Similarity(Supplier candidate, Supplier existing)
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
    internal static IEnumerable<UniqueIdentifier> IdentifiersOf(Supplier supplier)
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

    private static bool Matches(Supplier supplier, ListSuppliersRequest filter) =>
        (filter.State == SupplierState.Unspecified || supplier.State == filter.State)
        && (filter.TaxId.Length == 0 || Matching.SameIdentifier(supplier.TaxId, filter.TaxId));

    // Contact details are personal data: the messages name the field and the rule, never the value.
    private static void Validate(Supplier supplier)
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
