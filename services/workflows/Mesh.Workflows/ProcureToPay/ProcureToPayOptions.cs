namespace Mesh.Workflows.ProcureToPay;

/// <summary>Settings of the procure-to-pay saga, bound from the "Workflows:ProcureToPay" configuration section.</summary>
public sealed class ProcureToPayOptions
{
    /// <summary>
    /// Approval limits, lowest first: a requisition goes to the first level whose limit its estimated total does not
    /// exceed, and an unanswered decision escalates to the next level's approver.
    /// </summary>
    public List<ApprovalLevel> ApprovalLevels { get; set; } =
    [
        new() { UpTo = 1_000m, Approver = "employees/ward-manager" },
        new() { UpTo = 25_000m, Approver = "employees/supply-director" },
        new() { UpTo = decimal.MaxValue, Approver = "employees/cfo" },
    ];

    /// <summary>How long an approver has to decide before the decision is escalated to the next level.</summary>
    public TimeSpan EscalationWindow { get; set; } = TimeSpan.FromDays(2);

    /// <summary>How long an invoice billing goods not yet received waits for them before it goes to the exception queue.</summary>
    public TimeSpan InvoiceReceiptWindow { get; set; } = TimeSpan.FromDays(5);

    /// <summary>
    /// How far, in percent of the contract price, a line's estimated unit price may be from the price of the contract
    /// that prices it; beyond it the requisition is refused (<c>contract_price_variance</c>), within it the order gets the
    /// contract price.
    /// </summary>
    public decimal ContractPriceTolerancePercent { get; set; } = 10m;

    /// <summary>The buyer the saga's purchase orders name; never an approver.</summary>
    public string Buyer { get; set; } = "employees/procurement-buyer";

    /// <summary>Attempts of a step against a service before the saga gives up on it.</summary>
    public int StepAttempts { get; set; } = 6;

    /// <summary>Attempts of an ERP call (sending an order, posting a liability); generous, because ERPs go down for maintenance.</summary>
    public int ErpAttempts { get; set; } = 30;

    /// <summary>The first retry delay; later ones double up to <see cref="MaxRetryInterval"/>.</summary>
    public TimeSpan FirstRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a case in flight may go without beginning a step before it counts as stalled: longer than the flow's
    /// normal waits (an approver's window, goods on their way), so a stalled case is one nobody will move.
    /// </summary>
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>One approval level: the approver of requisitions up to an estimated total.</summary>
public sealed class ApprovalLevel
{
    /// <summary>The highest estimated total this level approves.</summary>
    public decimal UpTo { get; set; }

    /// <summary>The approver, "employees/{employee}".</summary>
    public string Approver { get; set; } = "";
}
