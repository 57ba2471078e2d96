using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Runtime.Workflow;

/// <summary>One workflow instance as the engine keeps it: its history, the events waiting for its next turn, and its state.</summary>
internal sealed class WorkflowInstance(string id, string name, Timestamp created)
{
    public string Id { get; } = id;

    public string Name { get; set; } = name;

    public string ExecutionId { get; set; } = Guid.NewGuid().ToString("N");

    public List<HistoryEvent> History { get; } = [];

    /// <summary>Events not yet given to a turn, in arrival order.</summary>
    public List<HistoryEvent> Inbox { get; } = [];

    public OrchestrationStatus Status { get; set; } = OrchestrationStatus.Pending;

    /// <summary>True once a snapshot of this instance went to the store (it was restored from there, or written).</summary>
    public bool Stored { get; set; }

    /// <summary>True while a turn is out with a worker.</summary>
    public bool InTurn { get; set; }

    public string? Input { get; set; }

    public string? Output { get; set; }

    public string? CustomStatus { get; set; }

    public TaskFailureDetails? Failure { get; set; }

    public ParentInstanceInfo? Parent { get; set; }

    public List<string> Children { get; } = [];

    public Timestamp Created { get; set; } = created;

    public Timestamp LastUpdated { get; set; } = created;

    public Timestamp? StartedAt { get; set; }

    public Timestamp? Completed { get; set; }

    public Timestamp? ScheduledStart { get; set; }

    /// <summary>Completed, failed, terminated: no more turns.</summary>
    public bool IsTerminal => WorkflowStatuses.IsFinished(Status);

    /// <summary>Signalled whenever the status changes, for the Wait RPCs.</summary>
    public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkflowState State(bool withPayloads) => new()
    {
        InstanceId = Id,
        Name = Name,
        WorkflowStatus = Status,
        CreatedTimestamp = Created,
        LastUpdatedTimestamp = LastUpdated,
        CompletedTimestamp = Completed,
        ScheduledStartTimestamp = ScheduledStart,
        StartedAt = StartedAt,
        ExecutionId = ExecutionId,
        Input = withPayloads ? Input : null,
        Output = withPayloads ? Output : null,
        CustomStatus = CustomStatus,
        FailureDetails = Failure,
        ParentInstanceId = Parent?.WorkflowInstance?.InstanceId,
    };

    /// <summary>What the store keeps of it.</summary>
    public WorkflowInstanceRecord Record() => new(State(withPayloads: true), History, Inbox);
}
