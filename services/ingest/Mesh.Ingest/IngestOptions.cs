namespace Mesh.Ingest;

/// <summary>Settings of the ingest app, bound from the "Ingest" configuration section.</summary>
public sealed class IngestOptions
{
    /// <summary>The Dapr state store for raw messages, the intake ledger, encounters and the exception queue.</summary>
    public string StateStore { get; set; } = "statestore";

    /// <summary>The Dapr pub/sub component the canonical events go to.</summary>
    public string PubSub { get; set; } = "pubsub";

    /// <summary>
    /// How long raw messages (and what is derived from them: the intake ledger that recognises resends, encounter
    /// contexts) are kept; sent to the state store as <c>ttlInSeconds</c>, so PHI is not kept forever.
    /// </summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The folder of the mapping files, relative to the app's folder unless rooted.</summary>
    public string MappingsPath { get; set; } = "Mappings";

    /// <summary>The routing rules file, relative to <see cref="MappingsPath"/> unless rooted.</summary>
    public string RoutesFile { get; set; } = "routes.yaml";

    /// <summary>The master data app id, reached through the sidecar.</summary>
    public string MasterDataAppId { get; set; } = "masterdata";

    /// <summary>
    /// The external id system under which master data locations carry the department codes of the clinical
    /// systems (FT1-13, a FHIR organization's identifier).
    /// </summary>
    public string DepartmentSystem { get; set; } = "department";

    /// <summary>How long looked-up master data (items by code, locations by department) is reused.</summary>
    public TimeSpan LookupCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The MLLP listener.</summary>
    public MllpOptions Mllp { get; set; } = new();

    /// <summary>The flat file intake.</summary>
    public CsvOptions Csv { get; set; } = new();

    /// <summary>The largest FHIR request body accepted, in bytes.</summary>
    public int MaxFhirBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Mesh's own time zone id for HL7 timestamps that carry no offset; UTC when empty.</summary>
    public string LocalTimeZone { get; set; } = "";
}

/// <summary>Settings of the MLLP listener ("Ingest:Mllp").</summary>
public sealed class MllpOptions
{
    /// <summary>Whether the listener runs.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The address to listen on; loopback unless the operator opens it.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The TCP port; 2575 is HL7's registered port, 0 lets the OS choose (tests).</summary>
    public int Port { get; set; } = 2575;

    /// <summary>The largest message accepted, in bytes; larger frames are answered AR.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>A connection that sends nothing for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most connections served at once; more wait in the accept backlog.</summary>
    public int MaxConnections { get; set; } = 64;
}

/// <summary>Settings of the flat file intake ("Ingest:Csv").</summary>
public sealed class CsvOptions
{
    /// <summary>A folder watched for catalog and price files; not watched when empty.</summary>
    public string InboxPath { get; set; } = "";

    /// <summary>How often the inbox is looked at, besides file system notifications.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest file accepted, in bytes.</summary>
    public int MaxFileBytes { get; set; } = 32 * 1024 * 1024;
}
