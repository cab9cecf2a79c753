using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Messaging.Sagas;

public static class SagaRepositoryExtensions
{
    /// <summary>Persists the saga in PostgreSQL with the project's own repository
    /// (<see cref="PostgresSagaRepositoryContextFactory{TSaga,TDbContext}"/>).</summary>
    public static void PostgresRepository<TSaga, TDbContext>(this ISagaRegistrationConfigurator<TSaga> configurator,
        SagaConcurrency concurrency = SagaConcurrency.Pessimistic)
        where TSaga : class, ISaga
        where TDbContext : DbContext
    {
        configurator.Repository(r =>
        {
            r.AddSingleton(new SagaRepositorySettings<TSaga>(concurrency));
            r.RegisterLoadSagaRepository<TSaga, PostgresSagaRepositoryContextFactory<TSaga, TDbContext>>();
            r.RegisterSagaRepository<TSaga, DbContext, SagaConsumeContextFactory<DbContext, TSaga>,
                PostgresSagaRepositoryContextFactory<TSaga, TDbContext>>();
        });
    }
}
