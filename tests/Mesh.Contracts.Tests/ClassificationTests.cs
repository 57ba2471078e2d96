using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Options.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Contracts.Tests;

public class ClassificationTests
{
    private static readonly string[] PatientReferencePaths =
        ["patient", "patient.mrn", "patient.mrn_system", "patient.encounter_id", "patient.patient_name", "patient.birth_date"];

    [Fact]
    public void FieldsClassifiedAs_ItemConsumedPhi_FindsPatientAndClinicalOrder()
    {
        var phi = DataClassifications.FieldsClassifiedAs(ItemConsumed.Descriptor, DataClassification.Phi);

        Assert.Equal(
            PatientReferencePaths.Append("clinical_order_id").Order(StringComparer.Ordinal),
            phi.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FieldsClassifiedAs_PatientChargePhi_FindsEveryPatientField()
    {
        var phi = DataClassifications.FieldsClassifiedAs(PatientCharge.Descriptor, DataClassification.Phi);

        Assert.Superset(PatientReferencePaths.ToHashSet(), phi.ToHashSet());
        // A date of service tied to a patient is PHI under HIPAA; nothing else of a charge is.
        Assert.All(phi, path => Assert.True(
            path.StartsWith("patient", StringComparison.Ordinal) || path.StartsWith("service_time", StringComparison.Ordinal) || path == "clinical_order_id",
            $"unexpected PHI path {path}"));
    }

    [Fact]
    public void Of_UnannotatedField_IsUnspecified()
    {
        var field = EventTaxonomy.Descriptor.FindFieldByName("domain");

        Assert.Equal(DataClassification.Unspecified, DataClassifications.Of(field));
    }

    [Fact]
    public void Redact_ItemConsumed_RemovesEveryPhiValueAndKeepsTheRest()
    {
        var consumed = new ItemConsumed
        {
            Context = new EventContext { EventId = "evt-1", Source = "ehr" },
            Item = "items/gauze-4x4",
            Location = "locations/or-3",
            Patient = new PatientReference
            {
                Mrn = "MRN-0042", MrnSystem = "urn:oid:1.2.3", EncounterId = "ENC-77",
                PatientName = "Jane Roe", BirthDate = "1961-02-03",
            },
            RecordedBy = "nurse.kim",
            ClinicalOrderId = "ORD-9",
        };

        var redacted = Redaction.Redact(consumed);
        var text = redacted.ToString();

        foreach (var secret in new[] { "MRN-0042", "ENC-77", "Jane Roe", "1961-02-03", "ORD-9", "nurse.kim", "urn:oid:1.2.3" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        Assert.Equal(Redaction.PhiMarker, redacted.Patient.Mrn);
        Assert.Equal(Redaction.PiiMarker, redacted.RecordedBy);
        Assert.Equal("items/gauze-4x4", redacted.Item);
        Assert.Equal("evt-1", redacted.Context.EventId);
        Assert.Equal("MRN-0042", consumed.Patient.Mrn);
    }

    [Fact]
    public void Redact_AnyHoldingAPatient_RedactsInsideAndEmptiesUnknownTypes()
    {
        var packed = Google.Protobuf.WellKnownTypes.Any.Pack(new PatientReference { Mrn = "MRN-7", EncounterId = "ENC-7" });
        var unknown = new Google.Protobuf.WellKnownTypes.Any { TypeUrl = "type.googleapis.com/acme.Secret", Value = Google.Protobuf.ByteString.CopyFromUtf8("MRN-8") };

        var redacted = Redaction.Redact(packed).Unpack<PatientReference>();
        var emptied = Redaction.Redact(unknown);

        Assert.Equal(Redaction.PhiMarker, redacted.Mrn);
        Assert.Equal(Redaction.PhiMarker, redacted.EncounterId);
        Assert.True(emptied.Value.IsEmpty);
        Assert.Equal(unknown.TypeUrl, emptied.TypeUrl);
    }

    [Fact]
    public void Redact_EmptyPhiFields_StayEmpty()
    {
        var redacted = Redaction.Redact(new ItemConsumed { Item = "items/a" });

        Assert.Null(redacted.Patient);
        Assert.Equal("", redacted.RecordedBy);
    }
}
