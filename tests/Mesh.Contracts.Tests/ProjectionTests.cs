using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Options.V1;
using Mesh.Contracts.Tests.Fixtures;
using Mesh.Contracts.Type.V1;

namespace Mesh.Contracts.Tests;

public class ProjectionTests
{
    private static readonly IReadOnlySet<DataClassification> NoPhi = new HashSet<DataClassification> { DataClassification.Phi };
    private static readonly IReadOnlySet<DataClassification> NoPhiNoPii = new HashSet<DataClassification> { DataClassification.Phi, DataClassification.Pii };

    private static PatientCharge Charge(string id) => new()
    {
        Name = $"charges/{id}",
        Patient = new PatientReference { Mrn = "MRN-0042", EncounterId = "ENC-7", PatientName = "Jane Roe" },
        Item = "items/gauze",
        ChargeCode = "272-1001",
        Quantity = new Quantity { Units = 2, Unit = "EA" },
        ServiceTime = Timestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)),
        OrderingClinicianId = "dr.who",
        ClinicalOrderId = "ORD-9",
        TotalAmount = new Money { CurrencyCode = "USD", Units = 7 },
    };

    [Fact]
    public void Without_Phi_ClearsPatientServiceTimeAndOrderButKeepsTheRest()
    {
        var projected = Projection.Without(Charge("c1"), NoPhi);

        Assert.Null(projected.Patient);
        Assert.Null(projected.ServiceTime);
        Assert.Equal("", projected.ClinicalOrderId);
        Assert.Equal(("charges/c1", "items/gauze", "272-1001", 7L, "dr.who"), (projected.Name, projected.Item, projected.ChargeCode, projected.TotalAmount.Units, projected.OrderingClinicianId));
    }

    [Fact]
    public void Without_PhiAndPii_AlsoClearsClinicians()
    {
        var projected = Projection.Without(Charge("c1"), NoPhiNoPii);

        Assert.Equal(("", ""), (projected.OrderingClinicianId, projected.PerformingClinicianId));
        Assert.Equal("items/gauze", projected.Item);
    }

    [Fact]
    public void Without_LeavesTheOriginalUntouched()
    {
        var original = Charge("c1");

        _ = Projection.Without(original, NoPhi);

        Assert.Equal("MRN-0042", original.Patient.Mrn);
    }

    [Fact]
    public void ClearInPlace_RepeatedMapValuesAndAny_AreProjectedEverywhere()
    {
        var response = new ListChargesResponse { Charges = { Charge("c1"), Charge("c2") } };
        var batch = new ChargeBatch
        {
            Vendor = "acme-billing",
            ChargesById = { ["c3"] = Charge("c3") },
            Attachments =
            {
                Any.Pack(Charge("c4")),
                new Any { TypeUrl = "type.googleapis.com/acme.Unknown", Value = Google.Protobuf.ByteString.CopyFromUtf8("MRN-0042") },
            },
            PatientNotes = { ["c3"] = "allergic to latex" },
            ClinicianIds = { "dr.who" },
            Totals = { ["c3"] = new Money { CurrencyCode = "USD", Units = 7 } },
        };

        Projection.ClearInPlace(response, NoPhiNoPii);
        Projection.ClearInPlace(batch, NoPhiNoPii);

        Assert.All(response.Charges, c => Assert.Equal((null, null, ""), (c.Patient, c.ServiceTime, c.OrderingClinicianId)));
        Assert.Equal(["charges/c1", "charges/c2"], response.Charges.Select(c => c.Name));
        Assert.Null(batch.ChargesById["c3"].Patient);
        Assert.Equal("items/gauze", batch.ChargesById["c3"].Item);
        var attached = batch.Attachments[0].Unpack<PatientCharge>();
        Assert.Equal((null, "charges/c4"), (attached.Patient, attached.Name));
        Assert.Equal(("", 0), (batch.Attachments[1].TypeUrl, batch.Attachments[1].Value.Length));
        Assert.Empty(batch.PatientNotes);
        Assert.Empty(batch.ClinicianIds);
        Assert.Equal(7L, batch.Totals["c3"].Units);
        Assert.Equal("acme-billing", batch.Vendor);
        Assert.DoesNotContain("MRN-0042", batch.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("MRN-0042", response.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ClearInPlace_NothingWithheld_ChangesNothing()
    {
        var charge = Charge("c1");

        Projection.ClearInPlace(charge, new HashSet<DataClassification>());

        Assert.Equal(Charge("c1"), charge);
    }
}
