using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Runtime.Workflow;

namespace Mesh.Runtime.Tests.Workflow.Engine;

/// <summary>One instance's state machine, without a worker: what a turn is given and what its answer does.</summary>
public sealed class InstanceStateMachineTests
{
    private readonly TestClock clock = new();
    private readonly InstanceStateMachine machine;

    public InstanceStateMachineTests() => machine = new InstanceStateMachine(clock);

    [Fact]
    public void Create_IsPendingWithItsStartWaiting_StampedByTheClock()
    {
        var instance = machine.Create("saga-1", "Saga", "\"in\"", "v2");

        var started = Assert.Single(instance.Inbox);
        Assert.Equal(OrchestrationStatus.Pending, instance.Status);
        Assert.Equal(("Saga", "v2", "\"in\"", "saga-1"), (started.ExecutionStarted.Name, started.ExecutionStarted.Version, started.ExecutionStarted.Input, started.ExecutionStarted.WorkflowInstance.InstanceId));
        Assert.Equal(clock.GetUtcNow(), instance.Created.ToDateTimeOffset());
        Assert.Equal((-1, clock.GetUtcNow()), (started.EventId, started.Timestamp.ToDateTimeOffset()));
    }

    [Fact]
    public void NextTurn_GivesTheHistoryThenWorkflowStartedAndTheInbox_OneTurnAtATime()
    {
        var instance = Running();
        machine.Deliver(instance, new HistoryEvent { EventRaised = new EventRaisedEvent { Name = "approval" } });

        var (request, flight) = machine.NextTurn(instance)!.Value;
        var second = machine.NextTurn(instance);

        Assert.Equal(instance.History.Count, request.PastEvents.Count);
        Assert.Equal([HistoryEvent.EventTypeOneofCase.WorkflowStarted, HistoryEvent.EventTypeOneofCase.EventRaised], request.NewEvents.Select(e => e.EventTypeCase));
        Assert.Equal(1, flight.Consumed);
        Assert.Null(second);
    }

    [Fact]
    public void NextTurn_Suspended_OnlyForResumeOrTerminate()
    {
        var instance = Running();
        instance.Status = OrchestrationStatus.Suspended;
        machine.Deliver(instance, new HistoryEvent { EventRaised = new EventRaisedEvent { Name = "approval" } });

        var forAnEvent = machine.NextTurn(instance);
        machine.Deliver(instance, new HistoryEvent { ExecutionResumed = new ExecutionResumedEvent() });
        var forResume = machine.NextTurn(instance);

        Assert.Null(forAnEvent);
        Assert.NotNull(forResume);
    }

    [Fact]
    public void CompleteTurn_ScheduleAndWaitWithoutTimeout_KeepsTheTimerOriginAndAsksForTheWork()
    {
        var instance = machine.Create("saga-1", "Saga", null, null);
        var (_, flight) = machine.NextTurn(instance)!.Value;
        var sentinel = new Timestamp { Seconds = 253402300799, Nanos = 999999999 };
        var response = new WorkflowResponse
        {
            Actions =
            {
                new WorkflowAction { Id = 0, ScheduleTask = new ScheduleTaskAction { Name = "Reserve", Input = "1", TaskExecutionId = "t-0" } },
                new WorkflowAction { Id = 1, CreateTimer = new CreateTimerAction { FireAt = sentinel, ExternalEvent = new TimerOriginExternalEvent { Name = "approval" } } },
            },
        };

        var effects = machine.CompleteTurn(instance, flight, response);

        Assert.Equal(OrchestrationStatus.Running, instance.Status);
        var activity = Assert.Single(effects.Activities);
        Assert.Equal(("Reserve", 0, "t-0", "saga-1"), (activity.Name, activity.TaskId, activity.TaskExecutionId, activity.WorkflowInstance.InstanceId));
        var timer = instance.History.Single(e => e.TimerCreated is not null);
        Assert.Equal((1, sentinel, "approval"), (timer.EventId, timer.TimerCreated.FireAt, timer.TimerCreated.ExternalEvent.Name));
        Assert.Equal([(1, sentinel)], effects.Timers);
        Assert.False(instance.InTurn);
    }

    [Fact]
    public void CompleteTurn_ChildCompletes_TellsItsParentAndRecordsTheTime()
    {
        var child = machine.Create("child", "Chain", null, null, new ParentInstanceInfo
        {
            TaskScheduledId = 4,
            WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = "parent" },
        });
        var (_, flight) = machine.NextTurn(child)!.Value;
        clock.Advance(TimeSpan.FromSeconds(3));

        var effects = machine.CompleteTurn(child, flight, Completion(OrchestrationStatus.Completed, "15"));

        var (target, message) = Assert.Single(effects.Messages);
        Assert.Equal(("parent", 4, "15"), (target, message.ChildWorkflowInstanceCompleted.TaskScheduledId, message.ChildWorkflowInstanceCompleted.Result));
        Assert.Equal((OrchestrationStatus.Completed, "15"), (child.Status, child.Output));
        Assert.Equal(clock.GetUtcNow(), child.Completed!.ToDateTimeOffset());
        Assert.Empty(child.Inbox);
    }

    [Fact]
    public void CompleteTurn_ContinueAsNew_StartsANewExecutionWithTheCarryover()
    {
        var instance = Running();
        var execution = instance.ExecutionId;
        machine.Deliver(instance, new HistoryEvent { EventRaised = new EventRaisedEvent { Name = "next" } });
        var (_, flight) = machine.NextTurn(instance)!.Value;
        var complete = new CompleteWorkflowAction { WorkflowStatus = OrchestrationStatus.ContinuedAsNew, Result = "2" };
        complete.CarryoverEvents.Add(machine.Stamp(new HistoryEvent { EventRaised = new EventRaisedEvent { Name = "early" } }));

        machine.CompleteTurn(instance, flight, new WorkflowResponse { Actions = { new WorkflowAction { CompleteWorkflow = complete } } });

        Assert.NotEqual(execution, instance.ExecutionId);
        Assert.Empty(instance.History);
        Assert.Equal([HistoryEvent.EventTypeOneofCase.ExecutionStarted, HistoryEvent.EventTypeOneofCase.EventRaised], instance.Inbox.Select(e => e.EventTypeCase));
        Assert.Equal(("2", OrchestrationStatus.Running), (instance.Input, instance.Status));
    }

    [Fact]
    public void CompleteTurn_OversizedResult_FailsTheWorkflow()
    {
        var instance = Running();
        machine.Deliver(instance, new HistoryEvent { EventRaised = new EventRaisedEvent { Name = "go" } });
        var (_, flight) = machine.NextTurn(instance)!.Value;

        machine.CompleteTurn(instance, flight, Completion(OrchestrationStatus.Completed, new string('x', InstanceStateMachine.MaxPayloadBytes + 1)));

        Assert.Equal((OrchestrationStatus.Failed, "PayloadTooLarge"), (instance.Status, instance.Failure!.ErrorType));
        Assert.Null(instance.Output);
    }

    [Fact]
    public void ActivityResult_FailureOrOversized_IsTaskFailed()
    {
        var activity = new ActivityRequest { Name = "Post", TaskExecutionId = "t-3" };

        var ok = machine.ActivityResult(activity, new ActivityResponse { TaskId = 3, Result = "\"posted\"" });
        var big = machine.ActivityResult(activity, new ActivityResponse { TaskId = 3, Result = new string('x', InstanceStateMachine.MaxPayloadBytes + 1) });

        Assert.Equal((3, "t-3", "\"posted\""), (ok.TaskCompleted.TaskScheduledId, ok.TaskCompleted.TaskExecutionId, ok.TaskCompleted.Result));
        Assert.Equal(("PayloadTooLarge", true), (big.TaskFailed.FailureDetails.ErrorType, big.TaskFailed.FailureDetails.IsNonRetriable));
    }

    [Fact]
    public void Pending_RestoredInstance_AsksAgainForUnfinishedActivitiesAndUnfiredTimers()
    {
        var instance = Running();
        var fireAt = Timestamp.FromDateTimeOffset(clock.GetUtcNow().AddMinutes(5));
        instance.History.Add(new HistoryEvent { EventId = 0, TaskScheduled = new TaskScheduledEvent { Name = "Done" } });
        instance.History.Add(new HistoryEvent { EventId = -1, TaskCompleted = new TaskCompletedEvent { TaskScheduledId = 0 } });
        instance.History.Add(new HistoryEvent { EventId = 1, TaskScheduled = new TaskScheduledEvent { Name = "Open" } });
        instance.History.Add(new HistoryEvent { EventId = 2, TimerCreated = new TimerCreatedEvent { FireAt = fireAt } });
        instance.History.Add(new HistoryEvent { EventId = 3, TimerCreated = new TimerCreatedEvent { FireAt = fireAt } });
        instance.History.Add(new HistoryEvent { EventId = -1, TimerFired = new TimerFiredEvent { TimerId = 3 } });

        var restored = InstanceStateMachine.Restore(instance.Record());
        var pending = InstanceStateMachine.Pending(restored);

        Assert.Equal(["Open"], pending.Activities.Select(a => a.Name));
        Assert.Equal([(2, fireAt)], pending.Timers);
        Assert.True(restored.Stored);
    }

    private Mesh.Runtime.Workflow.WorkflowInstance Running()
    {
        var instance = machine.Create("saga-1", "Saga", null, null);
        var (_, flight) = machine.NextTurn(instance)!.Value;
        machine.CompleteTurn(instance, flight, new WorkflowResponse());
        return instance;
    }

    private static WorkflowResponse Completion(OrchestrationStatus status, string result) => new()
    {
        Actions = { new WorkflowAction { CompleteWorkflow = new CompleteWorkflowAction { WorkflowStatus = status, Result = result } } },
    };
}
