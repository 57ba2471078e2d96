using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.Finance.Domain;

/// <summary>
/// The journal entry that books a matched supplier invoice: the received-not-invoiced clearing account debited at the
/// purchase order's cost center, accounts payable credited, both with the invoice total.
/// </summary>
public static class SupplierLiability
{
    private static readonly ResourceName Invoices = new("supplierInvoices");
    private static readonly ResourceName Suppliers = new("suppliers");

    /// <summary>INVALID_ARGUMENT naming the field unless the request can be booked.</summary>
    public static void Validate(PostSupplierInvoiceLiabilityRequest request)
    {
        Invoices.IdOf(request.SupplierInvoice, "supplier_invoice");
        Suppliers.IdOf(request.Supplier, "supplier");
        JournalRules.CostCenters.IdOf(request.CostCenter, "cost_center");
        if (request.Amount is not { CurrencyCode.Length: > 0 } amount || amount.ToDecimal() <= 0 || decimal.Round(amount.ToDecimal(), 2) != amount.ToDecimal())
        {
            throw ResourceErrors.Invalid("amount is required: a positive amount in whole cents with its currency_code");
        }

        if (request.InvoiceTime is null)
        {
            throw ResourceErrors.Invalid("invoice_time is required");
        }
    }

    /// <summary>The entry to record for <paramref name="request"/>, in the company of <paramref name="costCenter"/>.</summary>
    public static JournalEntry Entry(PostSupplierInvoiceLiabilityRequest request, CostCenter costCenter, FinanceOptions accounts) => new()
    {
        CompanyCode = costCenter.CompanyCode,
        AccountingDate = request.InvoiceTime,
        Description = $"Supplier invoice {request.SupplierInvoice} of {request.Supplier}",
        Source = JournalEntrySource.SupplierInvoice,
        SourceDocument = request.SupplierInvoice,
        Lines =
        {
            new JournalLine { GlAccount = accounts.ReceivedNotInvoicedAccount, CostCenter = costCenter.Name, Debit = request.Amount, Memo = "goods received, invoice matched" },
            new JournalLine { GlAccount = accounts.AccountsPayableAccount, Credit = request.Amount, Memo = $"payable to {request.Supplier}" },
        },
    };
}
