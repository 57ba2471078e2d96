using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Options.V1;

namespace Mesh.Contracts.Tests;

/// <summary>
/// Rules every contract must follow; a new proto that breaks one fails the build's tests.
/// </summary>
public partial class GovernanceTests
{
    // Field names that look like data about a patient or a person.
    [GeneratedRegex(@"(^|_)(mrn|patient|encounter|birth|dob|ssn|social_security|given_name|family_name|first_name|last_name|middle_name|full_name|person_name|patient_name|contact_name|email|phone)(_|$)")]
    private static partial Regex PersonalDataName();

    private static IEnumerable<FieldDescriptor> MeshFields =>
        ContractCatalog.Messages
            .Where(m => m.File.Package != "mesh.options.v1" && !(m.GetOptions()?.MapEntry ?? false))
            .SelectMany(m => m.Fields.InDeclarationOrder());

    [Fact]
    public void PersonalDataFields_AreClassifiedPiiOrPhi()
    {
        var offenders = MeshFields
            .Where(f => PersonalDataName().IsMatch(f.Name))
            .Where(f => !DataClassifications.IsSensitive(DataClassifications.Of(f)))
            .Select(f => $"{f.FullName} is {DataClassifications.Of(f)}")
            .ToList();

        Assert.True(offenders.Count == 0, "fields that look like personal data are not PII/PHI:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void PersonalDataNamePattern_MatchesPatientDataNames()
    {
        Assert.Matches(PersonalDataName(), "mrn");
        Assert.Matches(PersonalDataName(), "encounter_id");
        Assert.Matches(PersonalDataName(), "birth_date");
        Assert.Matches(PersonalDataName(), "family_name");
        Assert.DoesNotMatch(PersonalDataName(), "display_name");
        Assert.DoesNotMatch(PersonalDataName(), "item");
    }

    [Fact]
    public void EveryField_HasAClassification()
    {
        var offenders = MeshFields
            .Where(f => DataClassifications.Of(f) == DataClassification.Unspecified)
            .Select(f => f.FullName)
            .ToList();

        Assert.True(offenders.Count == 0, "unclassified fields:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void EveryFile_HasAnOwner()
    {
        // mesh/options/v1 defines the ownership option itself.
        var offenders = ContractCatalog.Files
            .Where(f => f.Package != "mesh.options.v1" && string.IsNullOrEmpty(ContractCatalog.OwnerOf(f)?.Team))
            .Select(f => f.Name)
            .ToList();

        Assert.True(offenders.Count == 0, "files without mesh.options.v1.file_owner:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void EveryEvent_HasFullTaxonomyAndContextFirst()
    {
        var events = ContractCatalog.Events.ToList();

        Assert.Contains(events, e => e.Name == "ItemConsumed");
        foreach (var e in events)
        {
            var taxonomy = ContractCatalog.EventTaxonomyOf(e)!;
            Assert.False(string.IsNullOrEmpty(taxonomy.Domain) || string.IsNullOrEmpty(taxonomy.Entity) || string.IsNullOrEmpty(taxonomy.Action), $"{e.FullName}: incomplete taxonomy");
            var context = e.FindFieldByNumber(1);
            Assert.True(context?.Name == "context" && context.MessageType?.FullName == "mesh.type.v1.EventContext", $"{e.FullName}: field 1 must be mesh.type.v1.EventContext context");
        }
    }

    [Fact]
    public void Topics_FollowTheTaxonomy_AndAreUniquePerEvent()
    {
        var topics = ContractCatalog.Events.Select(ContractCatalog.TopicOf).ToList();

        Assert.Equal("inventory.item.consumed", ContractCatalog.TopicOf(Mesh.Contracts.Inventory.V1.ItemConsumed.Descriptor));
        Assert.Equal("finance.journal_entry.cost_posted", ContractCatalog.TopicOf(Mesh.Contracts.Finance.V1.CostPosted.Descriptor));
        Assert.Equal(topics.Count, topics.Distinct().Count());
        Assert.Throws<ArgumentException>(() => ContractCatalog.TopicOf(Mesh.Contracts.Type.V1.Money.Descriptor));
    }

    [Theory]
    [InlineData("ItemConsumed")]
    [InlineData("StockAdjusted")]
    [InlineData("ReorderPointReached")]
    [InlineData("PurchaseOrderApproved")]
    [InlineData("GoodsReceived")]
    [InlineData("InvoiceMatched")]
    [InlineData("ChargeCaptured")]
    [InlineData("ChargeVoided")]
    [InlineData("CostPosted")]
    public void RequiredEvent_IsDeclared(string name)
    {
        Assert.Contains(ContractCatalog.Events, e => e.Name == name);
    }

    [Fact]
    public void MoneyAndQuantities_NeverUseFloatingPoint()
    {
        var offenders = MeshFields
            .Where(f => f.FieldType is FieldType.Double or FieldType.Float)
            .Select(f => f.FullName)
            .ToList();

        Assert.True(offenders.Count == 0, "floating-point fields:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void EveryService_HasAnOwnerAndLivesInAVersionedPackage()
    {
        Assert.NotEmpty(ContractCatalog.Services);
        foreach (var service in ContractCatalog.Services)
        {
            Assert.Matches(@"^mesh\.[a-z]+\.v[0-9]+$", service.File.Package);
            Assert.False(string.IsNullOrEmpty(ContractCatalog.OwnerOf(service)?.Team), $"{service.FullName} has no owner");
        }
    }
}
