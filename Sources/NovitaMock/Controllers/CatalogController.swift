import MicroHTTP

/// The model catalog area: `GET /v3/model`.
struct CatalogController: Sendable {
    let catalog: ModelCatalog
    let authenticator: Authenticator
    /// Each tenant's finished trainings, listed as its private LoRAs (docs/contract.md §13.2).
    var trainings: TrainingStore? = nil

    /// `GET /v3/model` (docs/contract.md §11): one page of the catalog models that pass the query's filters,
    /// each served as its catalog entry, and the cursor of the next page.
    ///
    /// The built-in catalog is the same for every tenant (its `private` models are listed to every
    /// key); a tenant's trained LoRAs are added for that tenant alone.
    func listModels(_ request: HTTPRequest) -> HTTPReply {
        authenticator.authenticated(request) { tenant in
            let catalog = trainings?.catalog(for: tenant, base: catalog) ?? catalog
            let query: CatalogQuery
            do throws(CatalogQueryError) {
                query = try CatalogQuery(parameters: request.query)
            } catch {
                return .now(APIError.violations(error.violations).response)
            }
            let page = query.page(of: catalog)
            return .now(
                .json([
                    "models": .array(page.models.map { .object($0.json) }),
                    "pagination": ["next_cursor": .string(page.nextCursor)],
                ]))
        }
    }
}
