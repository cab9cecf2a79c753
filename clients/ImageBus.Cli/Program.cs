using System.CommandLine;
using System.Globalization;
using ImageBus.Client;

// The gateway and key come from the environment (./imagebus sets them from .local/): IMAGEBUS_GATEWAY_URL, IMAGEBUS_API_KEY.
var gateway = new Uri(Environment.GetEnvironmentVariable("IMAGEBUS_GATEWAY_URL") ?? "http://127.0.0.1:5080");
var key = Environment.GetEnvironmentVariable("IMAGEBUS_API_KEY");
if (string.IsNullOrEmpty(key))
{
    Console.Error.WriteLine("Set IMAGEBUS_API_KEY to an API key (an admin key for health, errors and retry-errors).");
    return 2;
}

var imagebus = ImageBusClient.Create(gateway, key);

var status = new Option<string?>("--status") { Description = "only jobs in this status (completed, partial, failed, …)" };
var caseId = new Option<string?>("--case") { Description = "only jobs of this case id" };
var tenant = new Option<string?>("--tenant") { Description = "only this tenant's jobs (admin keys)" };
var limit = new Option<int>("--limit") { Description = "at most this many jobs", DefaultValueFactory = _ => 20 };
var jobs = new Command("jobs", "The key's jobs, newest first") { status, caseId, tenant, limit };
jobs.SetAction(async (parse, cancellationToken) =>
{
    var wanted = parse.GetValue(limit);
    Console.WriteLine($"{"job",-36}  {"tenant",-20}  {"case",-24}  {"status",-10}  {"done",7}  created");
    var shown = 0;
    await foreach (var job in imagebus.ListAllAsync(
        new JobListFilter(parse.GetValue(status), parse.GetValue(caseId), Limit: Math.Min(wanted, 200), TenantId: parse.GetValue(tenant)), cancellationToken))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{job.JobId,-36}  {Cut(job.TenantId, 20),-20}  {Cut(job.CaseId, 24),-24}  {job.Status,-10}  {$"{job.Counts.Completed}/{job.Counts.Total}",7}  {job.CreatedAt:u}"));
        if (++shown == wanted)
        {
            break;
        }
    }
});

var health = new Command("health", "System health (admin key)");
health.SetAction(async (_, cancellationToken) =>
{
    var report = await imagebus.GetSystemHealthAsync(cancellationToken);
    Console.WriteLine($"generated {report.GeneratedAt:u}");
    Console.WriteLine(report.QueuesError is null ? "queues (ready / unacked / consumers / _error / _skipped):" : $"queues: {report.QueuesError}");
    foreach (var queue in report.Queues)
    {
        Console.WriteLine($"  {queue.Name,-28} {queue.Ready,6} {queue.Unacked,6} {queue.Consumers,4} {queue.Error,6} {queue.Skipped,6}");
    }

    Console.WriteLine($"jobs by state: {string.Join(", ", report.JobsByState.Select(s => $"{s.Key} {s.Value}"))}");
    Console.WriteLine($"image ms p50/p95 (last hour): {report.ImageDurationMs.P50}/{report.ImageDurationMs.P95} over {report.ImageDurationMs.Count}");
    Console.WriteLine($"job ms p50/p95 (last hour): {report.JobDurationMs.P50}/{report.JobDurationMs.P95} over {report.JobDurationMs.Count}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"failures: last hour {report.Failures.LastHour.Failed}/{report.Failures.LastHour.Total} ({report.Failures.LastHour.Rate:P1}), last day {report.Failures.LastDay.Failed}/{report.Failures.LastDay.Total}"));
    Console.WriteLine(report.Stuck.Count == 0 ? "stuck jobs: 0" : $"stuck jobs: {report.Stuck.Count}");
    foreach (var job in report.Stuck.Jobs)
    {
        Console.WriteLine($"  {job.JobId} {job.TenantId} {job.Status}: {job.Reason} ({job.OverdueSeconds:0} s)");
    }

    Console.WriteLine($"gemini: {report.GeminiBudget.CallsLastMinute}/{report.GeminiBudget.RequestsPerMinute} calls this minute, "
        + $"{report.GeminiBudget.RateLimitedLastHour} rate-limited in the last hour");
    Console.WriteLine($"failing webhook endpoints: {report.FailingWebhookEndpoints.Count}; dead letters: {report.DeadLetters.Failed} in {report.DeadLetters.Groups} groups");
});

var errors = new Command("errors", "Dead-letter groups with their counts (admin key)");
errors.SetAction(async (_, cancellationToken) =>
{
    var groups = await imagebus.ListDeadLetterGroupsAsync(cancellationToken);
    Console.WriteLine(groups.Count == 0 ? "no dead letters" : $"{"group",-24}  {"count",5}  {"last",-20}  exception: message (message type)");
    foreach (var group in groups)
    {
        Console.WriteLine($"{group.GroupId,-24}  {group.Count,5}  {group.LastAt:u}  {group.ExceptionType}: {group.Message} ({group.MessageType})");
    }
});

var group = new Argument<string?>("group") { Description = "the group to send back to its queues", Arity = ArgumentArity.ZeroOrOne };
var all = new Option<bool>("--all") { Description = "every dead letter" };
var retryErrors = new Command("retry-errors", "Send a dead-letter group (or --all) back to its queues (admin key)") { group, all };
retryErrors.SetAction(async (parse, cancellationToken) =>
{
    var groupId = parse.GetValue(group);
    if (groupId is null == !parse.GetValue(all))
    {
        Console.Error.WriteLine("Name one GROUP (see ./imagebus errors) or --all.");
        return 2;
    }

    var retried = await imagebus.RetryDeadLettersAsync(groupId is null ? DeadLetterSelector.Everything : DeadLetterSelector.Group(groupId), cancellationToken);
    Console.WriteLine($"{retried} messages sent back to their queues");
    return 0;
});

var root = new RootCommand("ImageBus operations from the command line") { jobs, health, errors, retryErrors };
try
{
    // A refusal of the gateway is one line, not a stack trace.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ImageBusApiException problem)
{
    Console.Error.WriteLine($"the gateway answered {problem.Message}");
    return 1;
}

static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
