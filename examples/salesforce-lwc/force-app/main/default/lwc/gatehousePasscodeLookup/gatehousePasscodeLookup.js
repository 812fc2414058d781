import { LightningElement, api } from 'lwc';
import lookUp from '@salesforce/apex/GatehousePasscodeController.lookUp';

/**
 * The agent's half of the trust flow inside Salesforce (tenant-passcode-agent-verification,
 * "Salesforce Integration"): the agent types the number the customer used on the company's
 * website and reads the passcode back. Same endpoint as Gatehouse's agent widget, called from
 * Apex through a Named Credential so the API key stays on the server.
 */
export default class GatehousePasscodeLookup extends LightningElement {
    /** The tenant id (set in Lightning App Builder). */
    @api tenantId;
    /** Optional: a phone number to start with, e.g. bound to the record's Phone field. */
    @api
    get phone() {
        return this.passKey;
    }
    set phone(value) {
        this.passKey = value || '';
    }

    passKey = '';
    passPhrase;
    message;
    state = 'idle';
    busy = false;

    handleChange(event) {
        this.passKey = event.target.value;
    }

    async handleSubmit(event) {
        event.preventDefault();
        const passKey = (this.passKey || '').trim();
        this.passPhrase = undefined;
        if (!passKey) {
            this.state = 'error';
            this.message = 'Please enter the phone number.';
            return;
        }
        this.busy = true;
        this.message = undefined;
        this.state = 'submitting';
        try {
            const result = await lookUp({ tenantId: this.tenantId, passKey });
            this.state = result.state;
            this.passPhrase = result.passPhrase;
            this.message = result.message;
        } catch (error) {
            this.state = 'error';
            this.message = (error && error.body && error.body.message) || 'Something went wrong. Please try again later.';
        } finally {
            this.busy = false;
        }
    }
}
