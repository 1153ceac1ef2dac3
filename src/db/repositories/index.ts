import type { Db } from '../client.js'
import { anomaliesRepository } from './anomalies.js'
import { bookingsRepository } from './bookings.js'
import { chatRepository } from './chat.js'
import { devicesRepository } from './devices.js'
import { diagnosesRepository } from './diagnoses.js'
import { failureRatesRepository } from './failure-rates.js'
import { feedbackRepository } from './feedback.js'
import { forecastRepository } from './forecast.js'
import { historyRepository } from './history.js'
import { insightsRepository } from './insights.js'
import { rcaRepository } from './rca.js'
import { replaySegmentsRepository } from './replay-segments.js'
import { serviceCentersRepository } from './service-centers.js'
import { telemetryRepository } from './telemetry.js'
import { timelineRepository } from './timeline.js'
import { uebaRepository } from './ueba.js'
import { uebaEntitiesRepository } from './ueba-entities.js'
import { usersRepository } from './users.js'
import { vehiclesRepository } from './vehicles.js'

/** The small, intention-named repositories, built once over one database. */
export function createRepositories(db: Db) {
  return {
    users: usersRepository(db),
    vehicles: vehiclesRepository(db),
    devices: devicesRepository(db),
    anomalies: anomaliesRepository(db),
    diagnoses: diagnosesRepository(db),
    bookings: bookingsRepository(db),
    insights: insightsRepository(db),
    rca: rcaRepository(db),
    failureRates: failureRatesRepository(db),
    forecast: forecastRepository(db),
    ueba: uebaRepository(db),
    uebaEntities: uebaEntitiesRepository(db),
    serviceCenters: serviceCentersRepository(db),
    chat: chatRepository(db),
    feedback: feedbackRepository(db),
    history: historyRepository(db),
    telemetry: telemetryRepository(db),
    replaySegments: replaySegmentsRepository(db),
    timeline: timelineRepository(db),
  }
}

export type Repositories = ReturnType<typeof createRepositories>
export type { Viewer } from './vehicles.js'
