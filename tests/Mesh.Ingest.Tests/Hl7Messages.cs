namespace Mesh.Ingest.Tests;

/// <summary>HL7 v2 messages for a seeded run, written as an operating-room documentation system sends them.</summary>
public static class Hl7Messages
{
    /// <summary>The sending facility of the test messages.</summary>
    public const string Facility = "MAIN";

    /// <summary>A DFT^P03 with one FT1 line per (charge code, quantity), for visit <paramref name="visit"/>.</summary>
    public static string Dft(string control, string department, string visit, string pid3, params (string Code, string Quantity)[] lines)
    {
        var segments = new List<string>
        {
            $"MSH|^~\\&|PERIOP|{Facility}|MESH|HUB|20261206101500||DFT^P03^DFT_P03|{control}|P|2.5.1",
            "EVN|P03|20261206101500",
            $"PID|1||{pid3}||DOE^JANE",
            $"PV1|1|I|{department}^^^{Facility}||||||||||||||||{visit}",
        };
        for (var i = 0; i < lines.Length; i++)
        {
            var ft1 = new string[24];
            ft1[0] = "FT1";
            (ft1[1], ft1[2], ft1[4], ft1[6], ft1[7], ft1[9], ft1[10], ft1[13], ft1[20], ft1[23]) =
                ($"{i + 1}", $"T{i + 1}", "20261206093000", "CG", $"{lines[i].Code}^Supply^CDM", "Supply", lines[i].Quantity, $"{department}^Operating room", "rn-101", $"ORD{visit}");
            segments.Add(string.Join('|', ft1.Select(f => f ?? "")));
        }

        return string.Join('\r', segments) + "\r";
    }

    /// <summary>PID-3 with an MRN (type MR) from the hospital and a departmental patient id (type PI).</summary>
    public static string Pid3(string mrn) => $"PI{mrn}^^^PERIOP^PI~{mrn}^^^HOSP&urn:oid:2.16.840.1.113883.19.5&ISO^MR";

    /// <summary>An ADT message of <paramref name="trigger"/> for a visit.</summary>
    public static string Adt(string trigger, string control, string mrn, string visit, string time = "20261206080000") =>
        $"MSH|^~\\&|REGISTRATION|{Facility}|MESH|HUB|{time}||ADT^{trigger}^ADT_A01|{control}|P|2.5.1\r" +
        $"EVN|{trigger}|{time}\r" +
        $"PID|1||{Pid3(mrn)}||DOE^JANE||19700101|F\r" +
        $"PV1|1|I|OR3^^^{Facility}||||||||||||||||{visit}\r";
}
