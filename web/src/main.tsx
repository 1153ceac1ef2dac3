import { render } from 'preact'
import { App } from './app'
import './styles/base.css'
import './styles/parts.css'
import './styles/customer.css'
import './styles/owner.css'
import './styles/staff.css'
import './styles/console.css'
import './styles/manufacturing.css'

render(<App />, document.getElementById('app')!)
