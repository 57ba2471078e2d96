namespace Mesh.ErpStandIn;

/// <summary>An amount in integer minor units (cents), as cloud ERP APIs take money.</summary>
public sealed record Amount(string Currency, long Minor);

/// <summary>One line of a journal entry: exactly one of debit or credit.</summary>
public sealed record JournalLine(string Account, string? CostCenter, Amount? Debit, Amount? Credit, string? Memo);

/// <summary>A journal entry as posted by a caller.</summary>
public sealed record JournalEntryRequest(string CompanyCode, DateOnly AccountingDate, string Reference, IReadOnlyList<JournalLine> Lines);

/// <summary>A posted journal entry.</summary>
public sealed record JournalEntry(string DocumentNumber, string Status, DateTimeOffset PostedAt, JournalEntryRequest Entry);

/// <summary>An item as the ERP's item master returns it.</summary>
public sealed record ErpItem(string ItemNumber, string Description, string UnitOfMeasure, Amount StandardCost);

/// <summary>An error body: a code and a message naming the field or rule.</summary>
public sealed record ErpError(string Code, string Message);

/// <summary>Counts a test or the demo reads back.</summary>
public sealed record LedgerStats(int Postings, int Replays, int Rejected);

/// <summary>One line of a purchase order: quantity in the unit, price per unit in minor units.</summary>
public sealed record ErpOrderLine(int LineNumber, string Item, decimal Quantity, string Unit, Amount UnitPrice);

/// <summary>A purchase order as a buyer places it; <paramref name="Reference"/> is the buyer's PO number.</summary>
public sealed record PurchaseOrderRequest(string Reference, string Supplier, string ShipTo, IReadOnlyList<ErpOrderLine> Lines);

/// <summary>A purchase order the ERP acknowledged: ACKNOWLEDGED, or CANCELLED once cancelled.</summary>
public sealed record ErpPurchaseOrder(string OrderId, string Status, DateTimeOffset AcknowledgedAt, PurchaseOrderRequest Order);

/// <summary>Purchase order counts a test or the demo reads back.</summary>
public sealed record PurchaseOrderStats(int Acknowledged, int Cancelled, int Replays);
