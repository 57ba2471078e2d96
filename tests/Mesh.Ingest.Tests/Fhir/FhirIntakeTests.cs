using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Ingest.Fhir;
using Mesh.Scenarios;
using Task = System.Threading.Tasks.Task;

namespace Mesh.Ingest.Tests.Fhir;

/// <summary>FHIR R4 POSTs into the real mesh, with the FHIR specification's own ChargeItem and SupplyDelivery examples.</summary>
[Collection(IngestCollection.Name)]
public sealed class FhirIntakeTests(IngestMesh mesh)
{
    private static readonly FhirJsonDeserializer Json = new();
    private static readonly FhirXmlDeserializer Xml = new();

    [Fact]
    public async Task PublicChargeItemExample_AloneWithoutItsPatient_Is422NamingTheSubjectIdentifier()
    {
        var run = await SeedExampleCodesAsync();
        var example = Xml.DeserializeResource(TestData.Text("fhir/chargeitem-example.xml"));
        ((ChargeItem)example).Identifier[0].Value = $"{run}-alone";

        var (status, outcome) = await PostAsync<OperationOutcome>("fhir/ChargeItem", example);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var issue = outcome.Issue.First(i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.Equal(OperationOutcome.IssueType.Required, issue.Code);
        Assert.Equal(["ChargeItem.subject.identifier.value"], issue.Expression);
        Assert.Contains("patient.mrn is required", issue.Diagnostics!, StringComparison.Ordinal);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Information && i.Diagnostics?.Contains("exceptions/", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task TransactionBundle_WithThePatientAndEncounter_Is201WithTheEventAndTheCaseCompletes()
    {
        var run = await SeedExampleCodesAsync();
        var bundle = ExampleBundle(run);

        var (status, response) = await PostAsync<Bundle>("fhir", bundle);
        var (again, resent) = await PostAsync<Bundle>("fhir", bundle);
        var eventId = response.Entry[2].Response!.Outcome is OperationOutcome o ? o.Issue.Single().Diagnostics!["canonical event ".Length..] : "";
        var outcome = await mesh.Scenario.WaitForCaseAsync(eventId, c => c.State != CaseState.Running, TimeSpan.FromSeconds(90), CancellationToken.None);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(Bundle.BundleType.TransactionResponse, response.Type);
        Assert.Equal(["200 OK", "200 OK", "201 Created"], response.Entry.Select(e => e.Response!.Status));
        Assert.StartsWith("ingest.", eventId, StringComparison.Ordinal);
        Assert.Equal(CaseState.Completed, outcome.State);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(response.Id, resent.Id);
        Assert.Equal("200 OK", resent.Entry[2].Response!.Status);
    }

    [Fact]
    public async Task ChargeItem_WithItsPatientIdentifier_Is201WithTheEventIdTaggedAndAResendIs200()
    {
        var run = await SeedExampleCodesAsync();
        var charge = (ChargeItem)Xml.DeserializeResource(TestData.Text("fhir/chargeitem-example.xml"));
        charge.Identifier[0].Value = $"{run}-single";
        charge.Subject = new ResourceReference { Identifier = new Identifier("urn:oid:2.16.840.1.113883.19.5", $"MRN{run}") };
        charge.Context = new ResourceReference { Identifier = new Identifier("urn:visits", $"V{run}") };

        var (status, created) = await PostAsync<ChargeItem>("fhir/ChargeItem", charge);
        var (again, resent) = await PostAsync<ChargeItem>("fhir/ChargeItem", charge);
        var (_, outcome) = await PostAsync<OperationOutcome>("fhir/ChargeItem", charge, prefer: "return=OperationOutcome");

        Assert.Equal(HttpStatusCode.Created, status);
        var tag = Assert.Single(created.Meta!.Tag);
        Assert.Equal(FhirIntake.EventTagSystem, tag.System);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(created.Id, resent.Id);
        Assert.Equal(tag.Code, Assert.Single(resent.Meta!.Tag).Code);
        Assert.Equal($"canonical event {tag.Code}", Assert.Single(outcome.Issue).Diagnostics);
    }

    [Fact]
    public async Task PublicSupplyDeliveryExample_FailsTheR4BindingOfItsType_Is422AtSupplyDeliveryType()
    {
        // The specification's example predates R4: its type's code system is not the one R4's required binding names.
        var delivery = (SupplyDelivery)Xml.DeserializeResource(TestData.Text("fhir/supplydelivery-example.xml"));
        delivery.Identifier[0].Value = $"{Guid.NewGuid():N}";

        var (status, outcome) = await PostAsync<OperationOutcome>("fhir/SupplyDelivery", delivery);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Expression.Any(e => e?.StartsWith("SupplyDelivery.type", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task SupplyDeliveryToAPatient_WithAnUnknownSupplyCode_Is422CodeInvalidAtTheItem()
    {
        var delivery = SupplyDeliveryTo($"MRN{Guid.NewGuid():N}"[..12], "NO-SUCH-SUPPLY");

        var (status, outcome) = await PostAsync<OperationOutcome>("fhir/SupplyDelivery", delivery);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var issue = outcome.Issue.First();
        Assert.Equal(OperationOutcome.IssueType.CodeInvalid, issue.Code);
        Assert.Equal(["SupplyDelivery.suppliedItem.item.coding.first().code"], issue.Expression);
    }

    [Fact]
    public async Task SupplyDeliveryToAPatient_WithKnownCodes_Is201AndTheCaseCompletes()
    {
        await SeedExampleCodesAsync();
        var delivery = SupplyDeliveryTo($"MRN{Guid.NewGuid():N}"[..12], "01510");

        var (status, created) = await PostAsync<SupplyDelivery>("fhir/SupplyDelivery", delivery);
        var outcome = await mesh.Scenario.WaitForCaseAsync(created.Meta!.Tag.Single().Code!, c => c.State != CaseState.Running, TimeSpan.FromSeconds(90), CancellationToken.None);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(CaseState.Completed, outcome.State);
    }

    [Fact]
    public async Task ResourceOfTheWrongType_Is400AndAnUnroutedType404()
    {
        var patient = new Patient { Id = "p1", Identifier = [new Identifier("urn:mrn", "MRN1")] };

        var (wrong, wrongOutcome) = await PostAsync<OperationOutcome>("fhir/ChargeItem", patient);
        var (unrouted, unroutedOutcome) = await PostAsync<OperationOutcome>("fhir/Patient", patient);
        var (unknown, _) = await PostAsync<OperationOutcome>("fhir/Spaceship", patient);

        Assert.Equal(HttpStatusCode.BadRequest, wrong);
        Assert.Equal("the body is a Patient, but it was POSTed to the ChargeItem endpoint", wrongOutcome.Issue.Single().Diagnostics);
        Assert.Equal(HttpStatusCode.NotFound, unrouted);
        Assert.Equal(OperationOutcome.IssueType.NotSupported, unroutedOutcome.Issue.Single().Code);
        Assert.Equal(HttpStatusCode.NotFound, unknown);
    }

    [Fact]
    public async Task ChargeItemFailingTheBaseProfile_Is422WithTheValidatorsIssues()
    {
        // status and code are required (1..1) by the R4 ChargeItem profile; subject too.
        var broken = new ChargeItem { Id = $"{Guid.NewGuid():N}", Quantity = new Hl7.Fhir.Model.Quantity { Value = 1 } };

        var (status, outcome) = await PostAsync<OperationOutcome>("fhir/ChargeItem", broken);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && (i.Details?.Text ?? i.Diagnostics)?.Contains("Missing required member: 'status'", StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData("not json at all", "application/fhir+json")]
    [InlineData("{\"resourceType\":\"ChargeItem\",\"status\":\"billable\"", "application/fhir+json")]
    [InlineData("<ChargeItem xmlns=\"http://hl7.org/fhir\"><status value=\"billable\"", "application/fhir+xml")]
    public async Task BodyThatIsNotFhir_Is400Structure(string body, string contentType)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await mesh.Http.PostAsync("fhir/ChargeItem", content);
        var outcome = (OperationOutcome)Json.DeserializeResource(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.All(outcome.Issue, i => Assert.Equal(OperationOutcome.IssueType.Structure, i.Code));
    }

    // The examples' codes in master data: charge code 01510 and department CARD_INTERMEDIATE_CARE, stocked.
    private async Task<string> SeedExampleCodesAsync()
    {
        var run = $"f{Guid.NewGuid():N}"[..9];
        await Once.WaitAsync();
        try
        {
            if (exampleItem is null)
            {
                var seeded = await mesh.SeedAsync(run);
                var location = seeded.Location.Clone();
                location.ExternalIds.Add(new ExternalId { System = "department", Value = "CARD_INTERMEDIATE_CARE" });
                await mesh.Clients.Locations.UpdateLocationAsync(new UpdateLocationRequest { Location = location, UpdateMask = new() { Paths = { "external_ids" } } });
                var item = Supply.Storeroom[5].ToItem($"MPN-{run}-01510");
                item.ChargeCode = "01510";
                exampleItem = await mesh.Clients.Items.CreateItemAsync(new CreateItemRequest { ItemId = $"{run}-01510", Item = item });
                await mesh.StockAsync(seeded.Location.Name, exampleItem, 50, run);
            }
        }
        finally
        {
            Once.Release();
        }

        return run;
    }

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static Item? exampleItem;

    private static SupplyDelivery SupplyDeliveryTo(string mrn, string code) => new()
    {
        Identifier = [new Identifier("urn:test", $"{Guid.NewGuid():N}")],
        Status = SupplyDelivery.SupplyDeliveryStatus.Completed,
        Patient = new ResourceReference { Identifier = new Identifier("urn:oid:2.16.840.1.113883.19.5", mrn) },
        SuppliedItem = new SupplyDelivery.SuppliedItemComponent { Quantity = new Hl7.Fhir.Model.Quantity { Value = 1 }, Item = new CodeableConcept("urn:cdm", code) },
        Occurrence = new FhirDateTime("2026-12-06T09:30:00+00:00"),
        Destination = new ResourceReference { Identifier = new Identifier("urn:departments", "CARD_INTERMEDIATE_CARE") },
        Extension = [new Extension("http://mesh.example/fhir/StructureDefinition/encounter", new ResourceReference { Identifier = new Identifier("urn:visits", "V1") })],
    };

    private static Bundle ExampleBundle(string run)
    {
        var charge = (ChargeItem)Xml.DeserializeResource(TestData.Text("fhir/chargeitem-example.xml"));
        charge.Identifier[0].Value = $"{run}-bundle";
        var patient = new Patient
        {
            Id = "example",
            Identifier = [new Identifier("urn:oid:2.16.840.1.113883.19.5", $"MRN{run}") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR") }],
        };
        var encounter = new Encounter
        {
            Id = "example",
            Status = Encounter.EncounterStatus.InProgress,
            Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
            Identifier = [new Identifier("urn:visits", $"V{run}")],
        };
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction, Identifier = new Identifier("urn:test", run) };
        foreach (Resource resource in new Resource[] { patient, encounter, charge })
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"http://example.org/fhir/{resource.TypeName}/example",
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName },
            });
        }

        return bundle;
    }

    private async Task<(HttpStatusCode Status, T Body)> PostAsync<T>(string path, Resource resource, string? prefer = null)
        where T : Resource
    {
        using var content = new StringContent(new FhirJsonSerializer().SerializeToString(resource), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(FhirApi.MediaType);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (prefer is not null)
        {
            request.Headers.Add("Prefer", prefer);
        }

        using var response = await mesh.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return (response.StatusCode, Json.DeserializeResource(text) as T ?? throw new InvalidOperationException($"{response.StatusCode}: {text}"));
        }
        catch (System.Text.Json.JsonException)
        {
            throw new InvalidOperationException($"{response.StatusCode}: {text}");
        }
    }
}
